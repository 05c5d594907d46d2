"""The extraction metrics on hand-made cases, and the scorer over a few corpus pages."""

import runpy
from pathlib import Path

import pytest

from articles.extraction.scoring import (
    benchmark_prf,
    compare_on_corpus,
    score_corpus,
    score_page,
    shingle_counts,
    token_prf,
    tokenize,
)

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "score_extraction.py"


def test_it_tokenizes_on_unicode_word_characters():
    assert tokenize("Naïve café, l'été — 2019!") == ["Naïve", "café", "l", "été", "2019"]


def test_it_scores_identical_texts_one_and_disjoint_texts_zero():
    assert token_prf("a b c", "a b c").f1 == 1.0
    assert token_prf("a b c", "d e f").f1 == 0.0


def test_it_counts_tokens_as_a_multiset():
    # predicted a a b (3), expected a b b c (4): intersection a, b = 2
    prf = token_prf("a a b", "a b b c")
    assert prf.precision == pytest.approx(2 / 3)
    assert prf.recall == pytest.approx(2 / 4)
    assert prf.f1 == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))


def test_it_scores_an_empty_output_zero():
    assert token_prf("", "some text").f1 == 0.0
    assert token_prf("text", "").f1 == 0.0


def test_it_counts_four_token_shingles_normalised_per_page():
    # expected shingles: (a b c d) (b c d e); predicted: (a b c d) (b c d x) -> tp 1, fp 1, fn 1
    assert shingle_counts("a b c d x", "a b c d e") == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert shingle_counts("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)


def test_it_makes_a_short_text_a_single_short_shingle():
    assert shingle_counts("a b", "a b") == (1.0, 0.0, 0.0)
    assert shingle_counts("", "a b") == (0.0, 0.0, 1.0)
    assert shingle_counts("", "") == (0.0, 0.0, 0.0)


def test_it_averages_precision_and_recall_over_pages_before_taking_f1():
    pages = [(0.5, 0.5, 0.0), (0.5, 0.0, 0.5)]  # P 0.5 and 1.0; R 1.0 and 0.5
    prf = benchmark_prf(pages)
    assert prf.precision == pytest.approx(0.75)
    assert prf.recall == pytest.approx(0.75)
    assert prf.f1 == pytest.approx(0.75)


def test_it_leaves_pages_without_a_prediction_out_of_precision_but_not_recall():
    prf = benchmark_prf([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
    assert prf.precision == 1.0
    assert prf.recall == 0.5


def test_it_summarises_pages_with_exact_matches_as_accuracy():
    summary = score_corpus([score_page("a b c d e", "a b c d e"), score_page("a b c d", "a b c d e")])
    assert summary.pages == 2
    assert summary.accuracy == 0.5
    assert 0 < summary.token_f1 < 1


def test_it_compares_ours_with_bare_trafilatura_on_a_few_corpus_pages(corpus):
    comparison = compare_on_corpus(corpus[:10])
    assert len(comparison.pages) == 10
    for row in comparison.pages:
        assert 0.0 <= row.ours.token.f1 <= 1.0 and 0.0 <= row.bare.token.f1 <= 1.0
        assert row.ours_seconds > 0 and row.bare_seconds > 0
    assert comparison.ours.token_f1 > 0.9
    assert comparison.ours_not_worse


def test_it_runs_the_scoring_script(capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main(["--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "ours" in out and "bare" in out and "token F1" in out
