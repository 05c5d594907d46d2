"""The search box parser: only what it understands reaches a database."""

import pytest

from discovery.query import MAX_TERMS, parse_query


def test_it_keeps_words_phrases_alternatives_and_exclusions():
    parsed = parse_query('europa "water vapour" plumes or geysers -titan')
    assert parsed.to_fts5() == '("europa" AND "water vapour" AND ("plumes" OR "geysers")) NOT "titan"'
    assert parsed.tsquery_terms() == ([["europa"], ['"water vapour"'], ["plumes", "geysers"]], ["titan"])
    assert parsed.words == ("europa", "water", "vapour", "plumes", "geysers")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "-only -exclusions", "*** ((( )))", '""', "or", "- -"],
)
def test_it_treats_queries_without_a_word_as_empty(text):
    assert parse_query(text).is_empty


@pytest.mark.parametrize(
    ("text", "fts5"),
    [
        ("NEAR(a b)", '"near a" AND "b"'),
        ("title:secret", '"title secret"'),
        ('unbalanced "quote', '"unbalanced" AND "quote"'),
        ("e-mail", '"e mail"'),
        ("AND OR NOT", '("and" OR "not")'),
        ("snake_case", '"snake case"'),
        ("Café Müller", '"café" AND "müller"'),
        ("prefix*", '"prefix"'),
        ('say "it\'s"', '"say" AND "it s"'),
    ],
)
def test_it_quotes_every_term_so_no_fts_syntax_passes(text, fts5):
    assert parse_query(text).to_fts5() == fts5


def test_it_bounds_the_number_of_terms_and_the_length():
    parsed = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(parsed.groups) == MAX_TERMS
    assert len(parse_query("x" * 10_000).words[0]) <= 256
