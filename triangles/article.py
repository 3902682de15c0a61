"""The seed article: its metadata and its paragraphs, addressed by stable ids P1...Pn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import SEEDS_DIR

ARTICLE_FILE = SEEDS_DIR / "he-weibao-2019-upgraded-china-russia-ties.txt"
_PARAGRAPH = re.compile(r"^\[(P\d+)\] (.+)$")


class ArticleFormatError(ValueError):
    """The article file does not follow the seeds/ format."""


@dataclass(frozen=True)
class Article:
    metadata: dict[str, str]
    paragraphs: dict[str, str]

    @property
    def paragraph_ids(self) -> list[str]:
        return list(self.paragraphs)

    def paragraph(self, paragraph_id: str) -> str:
        try:
            return self.paragraphs[paragraph_id]
        except KeyError:
            known = ", ".join(self.paragraphs)
            raise KeyError(f"no paragraph {paragraph_id!r} in the article; it has {known}") from None

    def citation(self) -> str:
        m = self.metadata
        return (f'{m["author"]}, "{m["title"]}", {m["outlet"]}, {m["published"]}. {m["url"]}')


def parse_article(text: str, *, source: str = "article") -> Article:
    lines = text.splitlines()
    if not lines or lines[0] != "---":
        raise ArticleFormatError(f"{source}, line 1: expected the metadata header to open with '---'")
    try:
        close = lines.index("---", 1)
    except ValueError:
        raise ArticleFormatError(f"{source}: the metadata header is never closed with '---'") from None
    metadata: dict[str, str] = {}
    for number, line in enumerate(lines[1:close], start=2):
        key, sep, value = line.partition(":")
        if not sep or not value.strip():
            raise ArticleFormatError(f"{source}, line {number}: expected 'key: value', got {line!r}")
        metadata[key.strip()] = value.strip()
    for key in ("title", "author", "affiliation", "outlet", "published", "url"):
        if key not in metadata:
            raise ArticleFormatError(f"{source}: the metadata header lacks {key!r}")
    paragraphs: dict[str, str] = {}
    for number, line in enumerate(lines[close + 1:], start=close + 2):
        if not line.strip():
            continue
        match = _PARAGRAPH.match(line)
        if not match:
            raise ArticleFormatError(f"{source}, line {number}: a paragraph must start with '[Pn] '")
        pid, body = match.groups()
        expected = f"P{len(paragraphs) + 1}"
        if pid != expected:
            raise ArticleFormatError(f"{source}, line {number}: paragraph id {pid} out of order, expected {expected}")
        paragraphs[pid] = body
    if not paragraphs:
        raise ArticleFormatError(f"{source}: no paragraphs found")
    return Article(metadata=metadata, paragraphs=paragraphs)


@lru_cache(maxsize=4)
def load_article(path: Path = ARTICLE_FILE) -> Article:
    return parse_article(Path(path).read_text(encoding="utf-8"), source=str(path))
