"""The Markdown as GitHub shows it: every relative link of the README, bench/README.md and the docs pages
leads to a file of the repository, and every #anchor to a heading there.

`mkdocs build --strict` (in `make lint`) checks the site; this checks what it does not see: the
README and bench/README.md read on GitHub, and links leaving the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").rglob("*.md")],
    key=lambda p: str(p),
)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def _prose(page: Path) -> list[str]:
    """The page's lines outside fenced code blocks."""
    lines, fence = [], ""
    for line in page.read_text(encoding="utf-8").splitlines():
        opened = _FENCE.match(line)
        if opened and (not fence or opened.group(1).startswith(fence)):
            fence = "" if fence else opened.group(1)
            continue
        if not fence:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading (MkDocs' toc slugs agree for the headings we write)."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in _prose(page) if re.match(r"^#{1,6} ", line)}


def links(page: Path) -> list[str]:
    return [target for line in _prose(page) for target in _LINK.findall(line)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_and_anchor_resolves_inside_the_repository(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check offline
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.is_relative_to(ROOT) or not destination.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_no_page_names_a_path_outside_the_repository() -> None:
    outside = [str(p.relative_to(ROOT)) for p in PAGES if "/work/" in p.read_text(encoding="utf-8")]
    assert outside == []


def test_slug_follows_github() -> None:
    assert slug("Token lifecycle and incident response") == "token-lifecycle-and-incident-response"
    assert slug("HTTP mode (the default)") == "http-mode-the-default"
    assert slug("forcegate's SDK") == "forcegates-sdk"
