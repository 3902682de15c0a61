"""The clean article must be the captured text, word for word, minus the page chrome."""

import pytest

from triangles.article import ArticleFormatError, load_article, parse_article
from triangles.paths import SEEDS_DIR


def test_seven_paragraphs_with_metadata():
    article = load_article()
    assert article.paragraph_ids == [f"P{i}" for i in range(1, 8)]
    assert article.metadata["author"] == "He Weibao"
    assert article.metadata["outlet"] == "China-US Focus"
    assert article.metadata["published"] == "2019-06-18"
    assert article.paragraph("P1").startswith("On June 5, the visiting Chinese President")


def test_every_paragraph_is_word_for_word_the_captured_text():
    original = (SEEDS_DIR / "original" / "000_ad5c8b53a7d15ffe.txt").read_text(encoding="utf-8")
    captured = [p.strip() for p in original.split("\n\n")]
    for pid, text in load_article().paragraphs.items():
        assert text in captured, f"{pid} differs from the captured page text"


def test_page_chrome_is_gone():
    body = " ".join(load_article().paragraphs.values())
    for chrome in ("You might also like", "Back to Top", "简体", "繁體"):
        assert chrome not in body


def test_unknown_paragraph_names_the_known_ones():
    with pytest.raises(KeyError, match="P1, P2"):
        load_article().paragraph("P99")


@pytest.mark.parametrize("text, message", [
    ("no header", "line 1"),
    ("---\ntitle: x\n", "never closed"),
    ("---\ntitle: x\n---\n[P1] a\n", "lacks 'author'"),
    ("---\ntitle: t\nauthor: a\naffiliation: f\noutlet: o\npublished: p\nurl: u\n---\n[P2] a\n", "expected P1"),
    ("---\ntitle: t\nauthor: a\naffiliation: f\noutlet: o\npublished: p\nurl: u\n---\nplain text\n", "must start with"),
])
def test_malformed_article_files_are_rejected_with_the_line(text, message):
    with pytest.raises(ArticleFormatError, match=message):
        parse_article(text, source="bad.txt")
