"""Close-reading helpers for notebook 01: pure functions over an Article, no widgets, no I/O.

    paragraph_table(article)             one row per paragraph: id, word count, opening words
    paragraph_text(article, pid)         one paragraph with its id, wrapped for print()
    find_paragraphs(article, term, ...)  ids of the paragraphs that use a word or phrase
    word_count(text)                     words in a text, counted the same way everywhere
"""

from __future__ import annotations

import re
import textwrap

import pandas as pd

from .article import Article

__all__ = ["word_count", "paragraph_table", "paragraph_text", "find_paragraphs"]

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def word_count(text: str) -> int:
    """Words in ``text``: runs of letters or digits, with inner apostrophes and hyphens kept
    ("China-Russia" and "today's" are one word each); punctuation never counts."""
    return len(_WORD.findall(text))


def paragraph_table(article: Article, opening_words: int = 10) -> pd.DataFrame:
    """One row per paragraph, in order: ``paragraph_id``, ``words`` and ``opening``
    (its first ``opening_words`` words, with "…" when the paragraph is longer)."""
    if opening_words < 1:
        raise ValueError(f"opening_words must be at least 1, not {opening_words}")
    rows = []
    for pid, text in article.paragraphs.items():
        tokens = text.split()
        opening = " ".join(tokens[:opening_words]) + (" …" if len(tokens) > opening_words else "")
        rows.append({"paragraph_id": pid, "words": word_count(text), "opening": opening})
    return pd.DataFrame(rows, columns=["paragraph_id", "words", "opening"])


def paragraph_text(article: Article, paragraph_id: str, width: int = 88) -> str:
    """``[P4] Russia lacks ...`` wrapped to ``width`` characters, ready for ``print``."""
    if width < 20:
        raise ValueError(f"width must be at least 20 characters, not {width}")
    return textwrap.fill(f"[{paragraph_id}] {article.paragraph(paragraph_id)}", width=width,
                         subsequent_indent=" " * (len(paragraph_id) + 3))


def find_paragraphs(article: Article, term: str, *, case_sensitive: bool = False) -> list[str]:
    """Ids of the paragraphs that contain ``term`` as a whole word or phrase, in article order.

    "US" with ``case_sensitive=True`` finds the country but not "thus" or "focus"; "ally" does
    not match "formally". Curly and straight quotes count as the same character.
    """
    term = term.strip()
    if not term:
        raise ValueError("give a word or phrase to look for")
    flags = 0 if case_sensitive else re.IGNORECASE
    pattern = re.compile(r"(?<![\w])" + re.escape(_straight(term)).replace(r"\ ", r"\s+") + r"(?![\w])", flags)
    return [pid for pid, text in article.paragraphs.items() if pattern.search(_straight(text))]


def _straight(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
