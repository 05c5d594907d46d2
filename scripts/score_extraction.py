#!/usr/bin/env python
"""Score our article extraction against the shared corpus, beside bare trafilatura, in one run.

    python scripts/score_extraction.py              # every page, a row each, then the totals
    python scripts/score_extraction.py --limit 10   # the first ten pages
    python scripts/score_extraction.py --quiet      # totals only

"Ours" is what the reader stores and shows: the text extract_article takes from its sanitized HTML. "Bare" is `trafilatura.extract(html_bytes, url=url)` with its defaults. Metrics follow the corpus
README ("How to score extraction"): token F1, and the benchmark's 4-shingle precision/recall/F1.
Exits 1 when ours scores below bare on either F1.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articles.extraction.scoring import Comparison, compare_on_corpus, corpus_pages, shared_dir  # noqa: E402


def _ms(seconds: list[float]) -> str:
    return f"{statistics.fmean(seconds) * 1000:6.1f} ({statistics.median(seconds) * 1000:5.1f})"


def print_report(comparison: Comparison, *, per_page: bool) -> None:
    if per_page:
        print(f"{'page':<14} {'ours F1':>8} {'bare F1':>8} {'ours ms':>8} {'bare ms':>8}  (CPU)")
        for row in comparison.pages:
            marker = " <" if row.ours.token.f1 + 0.005 < row.bare.token.f1 else ""
            print(
                f"{row.page.id[:12]:<14} {row.ours.token.f1:8.3f} {row.bare.token.f1:8.3f} "
                f"{row.ours_seconds * 1000:8.1f} {row.bare_seconds * 1000:8.1f}{marker}"
            )
        print()
    print(
        f"{'extractor':<10} {'pages':>5} {'token F1':>9} {'4-shingle P':>12} {'R':>6} {'F1':>6} "
        f"{'exact':>6}  CPU ms/page mean (median)"
    )
    for name, score, seconds in (
        ("ours", comparison.ours, [row.ours_seconds for row in comparison.pages]),
        ("bare", comparison.bare, [row.bare_seconds for row in comparison.pages]),
    ):
        print(
            f"{name:<10} {score.pages:>5} {score.token_f1:9.4f} {score.benchmark.precision:12.4f} "
            f"{score.benchmark.recall:6.4f} {score.benchmark.f1:6.4f} {score.accuracy:6.3f}  {_ms(seconds)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=None, help="folder with expected.jsonl and <id>.html")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages")
    parser.add_argument("--quiet", action="store_true", help="print the totals only")
    args = parser.parse_args(argv)
    # trafilatura logs a warning for every page it gives up on; the table says it better
    logging.basicConfig(level=logging.ERROR)

    folder = args.corpus or shared_dir() / "corpus" / "articles"
    pages = list(itertools.islice(corpus_pages(folder), args.limit))
    if not pages:
        print(f"no pages in {folder}", file=sys.stderr)
        return 2
    compare_on_corpus(pages[:1])  # warm up imports and trafilatura's caches before anything is timed
    comparison = compare_on_corpus(pages)
    print_report(comparison, per_page=not args.quiet)
    if not comparison.ours_not_worse:
        print("FAIL: our extraction scores below bare trafilatura", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
