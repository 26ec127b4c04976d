"""README.md and README.zh-CN.md keep the same structure: the same headings, level by level, in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+\S")


def heading_levels(text: str) -> list[int]:
    """Markdown heading levels in document order, ignoring `#` lines inside fenced code blocks."""
    levels: list[int] = []
    in_code = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        match = None if in_code else _HEADING.match(line)
        if match:
            levels.append(len(match[1]))
    return levels


def _outline(levels: list[int]) -> list[int]:
    """Number of subsections under each top-level (##) section, in order."""
    counts: list[int] = []
    for level in levels:
        if level == 2:
            counts.append(0)
        elif level > 2 and counts:
            counts[-1] += 1
    return counts


def test_heading_levels_ignore_code_blocks() -> None:
    text = "# T\n\n## A\n\n```bash\n# a shell comment\n## not a heading\n```\n\n### A.1\n#no-space\n## B\n"
    assert heading_levels(text) == [1, 2, 3, 2]
    assert _outline(heading_levels(text)) == [1, 0]


@pytest.mark.parametrize("name", ["README.md", "README.zh-CN.md"])
def test_readme_has_sections(name: str) -> None:
    assert heading_levels((ROOT / name).read_text(encoding="utf-8")).count(2) >= 10


def test_chinese_readme_has_every_section_of_the_english_one() -> None:
    en = heading_levels((ROOT / "README.md").read_text(encoding="utf-8"))
    zh = heading_levels((ROOT / "README.zh-CN.md").read_text(encoding="utf-8"))
    for level in sorted(set(en) | set(zh)):
        assert zh.count(level) == en.count(level), (
            f"level-{level} headings: README.md has {en.count(level)}, README.zh-CN.md has {zh.count(level)}; "
            "add the missing section to the other README"
        )
    # Same sections in the same order: the subsection count of each top-level section matches too.
    assert _outline(zh) == _outline(en), "the two READMEs order their sections differently"
