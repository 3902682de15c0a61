"""triangles.reading: the close-reading helpers used in notebook 01."""

import pytest

from triangles.article import load_article, parse_article
from triangles.reading import find_paragraphs, paragraph_table, paragraph_text, word_count

HEADER = "---\ntitle: t\nauthor: a\naffiliation: f\noutlet: o\npublished: 2019\nurl: u\n---\n"


@pytest.fixture
def tiny():
    return parse_article(HEADER + "[P1] The US and China-Russia ties, thus far.\n\n"
                                  "[P2] Focus on us: a formal “alliance” is an ally's dream.\n\n"
                                  "[P3] Nothing   here at all\n")


@pytest.mark.parametrize("text, expected", [
    ("", 0),
    ("One two three.", 3),
    ("China-Russia ties", 2),
    ("today’s world, it's", 3),
    ("-- , ; ...", 0),
    ("2019 was a year", 4),
])
def test_word_count(text, expected):
    assert word_count(text) == expected


def test_paragraph_table_has_one_row_per_paragraph_in_order(tiny):
    table = paragraph_table(tiny, opening_words=3)
    assert list(table.columns) == ["paragraph_id", "words", "opening"]
    assert list(table["paragraph_id"]) == ["P1", "P2", "P3"]
    assert list(table["words"]) == [7, 10, 4]
    assert table.loc[0, "opening"] == "The US and …"
    assert table.loc[2, "opening"] == "Nothing here at …"


def test_paragraph_table_keeps_short_paragraphs_whole(tiny):
    assert paragraph_table(tiny, opening_words=50).loc[2, "opening"] == "Nothing here at all"


def test_paragraph_table_refuses_zero_words(tiny):
    with pytest.raises(ValueError, match="at least 1"):
        paragraph_table(tiny, opening_words=0)


def test_paragraph_text_wraps_under_its_id(tiny):
    text = paragraph_text(tiny, "P2", width=24)
    lines = text.split("\n")
    assert lines[0].startswith("[P2] Focus on us")
    assert all(len(line) <= 24 for line in lines)
    assert all(line.startswith("     ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == "[P2] " + tiny.paragraph("P2")


def test_paragraph_text_names_the_known_ids_for_an_unknown_one(tiny):
    with pytest.raises(KeyError, match="P1, P2, P3"):
        paragraph_text(tiny, "P9")
    with pytest.raises(ValueError, match="at least 20"):
        paragraph_text(tiny, "P1", width=5)


def test_find_paragraphs_matches_whole_words_only(tiny):
    assert find_paragraphs(tiny, "US", case_sensitive=True) == ["P1"]
    assert find_paragraphs(tiny, "us") == ["P1", "P2"]          # "US" and "us", never "thus"/"Focus"
    assert find_paragraphs(tiny, "ally") == ["P2"]               # "ally's", not "formal"
    assert find_paragraphs(tiny, "alliance") == ["P2"]           # inside curly quotes
    assert find_paragraphs(tiny, "Russia") == ["P1"]             # part of a hyphenated word
    assert find_paragraphs(tiny, "nothing here") == ["P3"]       # a phrase across several spaces
    assert find_paragraphs(tiny, "Japan") == []


def test_find_paragraphs_escapes_regex_characters(tiny):
    assert find_paragraphs(tiny, "ties,") == ["P1"]
    assert find_paragraphs(tiny, "a.l") == []


def test_find_paragraphs_refuses_an_empty_term(tiny):
    with pytest.raises(ValueError, match="word or phrase"):
        find_paragraphs(tiny, "  ")


def test_on_the_seed_article():
    article = load_article()
    table = paragraph_table(article)
    assert len(table) == len(article.paragraphs) == 7
    assert table["words"].min() > 0
    assert find_paragraphs(article, "alliance") == ["P6"]
    assert find_paragraphs(article, "US", case_sensitive=True) == article.paragraph_ids
