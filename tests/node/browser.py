"""A browser for the recipes that open one (`sf org login web`, via $BROWSER): given the authorization
URL, it logs in as FORCEGATE_USERNAME, allows access, and follows the redirect back to the client's
loopback server, as a person at a browser would. tests/client/test_recipes_node.py sets BROWSER to run it."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import httpx
from tests.support.browser import submit


def main(url: str) -> None:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    with httpx.Client(base_url=origin, verify=os.environ["NODE_EXTRA_CA_CERTS"], timeout=30) as browser:
        page = browser.get(url)
        if 'name="password"' in page.text:
            username, password = os.environ["FORCEGATE_USERNAME"], os.environ["FORCEGATE_PASSWORD"]
            page = submit(browser, page, username=username, password=password)
        if 'name="decision"' in page.text:
            page = submit(browser, page, decision="allow")
        if page.status_code != 302:
            sys.exit(f"forcegate did not redirect back to the client: {page.status_code} {page.text[:500]}")
        # The client's loopback server, which may redirect again to a page saying it is done.
        back = httpx.get(page.headers["location"], follow_redirects=True, timeout=30)
        print(f"browser: ended at {back.url.copy_with(query=None)}: {back.status_code}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
