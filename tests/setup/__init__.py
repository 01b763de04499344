"""Setup in the browser (issue 12)."""
