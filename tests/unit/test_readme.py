"""The README is the quick start and every link in the docs leads somewhere.

The README stays short (at most 8 KB) and gives the two commands before
anything else; the rest lives in docs/. A relative link that points at a file
that was moved or renamed is a broken promise to the reader, so every
relative link (and image) in README.md and docs/*.md must name a file or
folder of the checkout.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
# [text](target) and ![alt](target); a target ends at whitespace or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _links(path: Path) -> list[str]:
    """The link targets of a Markdown file, code blocks left out."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


def _relative(target: str) -> bool:
    return not (target.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I))


def test_the_readme_is_at_most_8_kb():
    size = README.stat().st_size
    assert size <= 8192, f"README.md is {size} bytes; move detail to docs/"


def test_the_two_commands_come_first():
    head = README.read_bytes()[:2000].decode("utf-8", errors="ignore")
    for command in ("make demo", "make test"):
        assert command in head, f"{command!r} is not in the README's first 2,000 bytes"


def test_the_readme_links_the_docs_and_each_exists():
    docs = [t.split("#")[0] for t in _links(README) if t.startswith("docs/") and ".md" in t]
    assert docs, "the README links no page of docs/"
    for target in docs:
        assert (ROOT / target).is_file(), f"README.md links {target}, which does not exist"


def test_every_relative_link_points_to_a_file_of_the_checkout():
    broken = []
    for page in [README, *DOCS]:
        for target in _links(page):
            if not _relative(target):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, "links to nothing: " + ", ".join(broken)


def test_the_link_check_sees_links_and_skips_code():
    """The checker itself: a link is found, one inside code is not."""
    sample = ROOT / "docs" / "glossary.md"
    assert DOCS and sample in DOCS
    text = "see [a](docs/a.md) and ![b](img/b.png)\n```\n[c](nowhere.md)\n```\n`[d](x.md)`\n"
    found = LINK.findall(re.sub(r"`[^`\n]*`", "", FENCE.sub("", text)))
    assert found == ["docs/a.md", "img/b.png"]
