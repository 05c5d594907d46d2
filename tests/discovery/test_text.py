"""Clustering features: event tokens and text signatures, on real corpus text."""

import pytest

from discovery.evaluation import apply_edits, load_eval_set
from discovery.text import article_features, content_words, jaccard, text_similarity, token_hash


@pytest.fixture(scope="module")
def corpus():
    return {a.key[:8]: a for a in load_eval_set()}


def test_it_drops_stop_words_and_plural_s():
    assert content_words("The plumes of Europa were SAID to be real") == ["plume", "europa", "real"]


def test_it_hashes_tokens_stably_into_63_bits():
    assert token_hash("europa") == token_hash("europa")
    assert 0 <= token_hash("europa") < 2**63


def test_it_finds_two_reports_of_one_event_closer_than_unrelated_stories(corpus):
    def features(key):
        return article_features(title=corpus[key].title, text=corpus[key].text)

    same = jaccard(features("14cc2a0c").tokens, features("686bb170").tokens)  # Europa plumes, two sites
    other = jaccard(features("14cc2a0c").tokens, features("51374560").tokens)  # Europa vs Home Depot
    assert same > 0.12 > other


def test_it_recognises_a_syndicated_copy_but_not_a_rewrite(corpus):
    wire = corpus["82b6d780"].text
    copy = apply_edits(wire, {"strip_prefix": "WASHINGTON (AP) — ", "keep_paragraphs": 0.6})
    original = article_features(title="", text=wire).text_signature
    assert text_similarity(original, article_features(title="", text=copy).text_signature) > 0.5
    rewrite = article_features(title="", text=corpus["7a664e40"].text).text_signature  # same inquiry
    assert text_similarity(original, rewrite) < 0.2


def test_it_has_no_features_for_empty_or_hostile_input():
    assert article_features(title="", text="").is_empty
    huge = article_features(title="x" * 10, text="word " * 2_000_000)
    assert len(huge.tokens) <= 3
