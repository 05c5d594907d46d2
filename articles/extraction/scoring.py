"""How close extracted text is to a reference text: the corpus metrics (see the shared corpus README,
"How to score extraction").

- Token F1: bag of `\\w+` tokens, per page, then averaged over pages (an empty output scores 0).
- Benchmark P/R/F1 (scrapinghub article-extraction-benchmark): multisets of 4-token shingles give a page's
  tp/fp/fn, normalised to sum to 1 so that every page weighs the same; precision and recall are averaged
  over the pages where they are defined, and F1 is taken from the two averages.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

_TOKEN = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def token_prf(predicted: str, expected: str) -> PRF:
    """Bag-of-tokens precision, recall and F1 of one page; all 0 when either side has no token."""
    pred, true = Counter(tokenize(predicted)), Counter(tokenize(expected))
    if not pred or not true:
        return PRF(0.0, 0.0, 0.0)
    tp = sum((pred & true).values())
    precision, recall = tp / pred.total(), tp / true.total()
    return PRF(precision, recall, _f1(precision, recall))


def _shingles(text: str, size: int) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    # a text shorter than one shingle is one (short) shingle, as in the benchmark
    count = max(1, len(tokens) - size + 1)
    return Counter(tuple(tokens[i : i + size]) for i in range(count) if tokens[i : i + size])


def shingle_counts(predicted: str, expected: str, size: int = SHINGLE_SIZE) -> tuple[float, float, float]:
    """(tp, fp, fn) over the shingle multisets of one page, scaled to sum to 1 (all 0 if both are empty)."""
    pred, true = _shingles(predicted, size), _shingles(expected, size)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _page_precision(tp: float, fp: float, fn: float) -> float:
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _page_recall(tp: float, fp: float, fn: float) -> float:
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def benchmark_prf(pages: Sequence[tuple[float, float, float]]) -> PRF:
    """Corpus P/R/F1 from the pages' normalised (tp, fp, fn): precision averaged over pages that predicted
    something, recall over pages that expected something."""
    precisions = [_page_precision(*counts) for counts in pages if counts[0] + counts[1] > 0]
    recalls = [_page_recall(*counts) for counts in pages if counts[0] + counts[2] > 0]
    precision = fmean(precisions) if precisions else 0.0
    recall = fmean(recalls) if recalls else 0.0
    return PRF(precision, recall, _f1(precision, recall))


@dataclass(frozen=True)
class PageScore:
    token: PRF
    shingles: tuple[float, float, float]
    exact: bool


def score_page(predicted: str, expected: str) -> PageScore:
    return PageScore(
        token=token_prf(predicted, expected),
        shingles=shingle_counts(predicted, expected),
        exact=tokenize(predicted) == tokenize(expected),
    )


@dataclass(frozen=True)
class CorpusScore:
    pages: int
    token_f1: float
    benchmark: PRF
    accuracy: float


def score_corpus(scores: Sequence[PageScore]) -> CorpusScore:
    if not scores:
        return CorpusScore(0, 0.0, PRF(0.0, 0.0, 0.0), 0.0)
    return CorpusScore(
        pages=len(scores),
        token_f1=fmean(score.token.f1 for score in scores),
        benchmark=benchmark_prf([score.shingles for score in scores]),
        accuracy=fmean(1.0 if score.exact else 0.0 for score in scores),
    )


# --- the shared corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    id: str
    url: str
    expected_text: str
    path: Path

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


def shared_dir() -> Path:
    """The shared data folder: $NEWSREADER_SHARED_DIR, else `shared/` beside the repository."""
    configured = os.environ.get("NEWSREADER_SHARED_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared"


def corpus_pages(folder: Path | None = None) -> Iterator[CorpusPage]:
    """The article pages of the corpus with their annotated text, in `expected.jsonl` order."""
    folder = folder or shared_dir() / "corpus" / "articles"
    with (folder / "expected.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                yield CorpusPage(row["id"], row.get("url", ""), row["text"], folder / f"{row['id']}.html")


# --- ours beside bare trafilatura ----------------------------------------------------------------


def reader_text(html: bytes, url: str) -> str:
    """What the reader stores and shows for a page: extract_article's text (that of its sanitized HTML)."""
    from articles.extraction.extract import extract_article

    extracted = extract_article(html, url=url)
    return extracted.text if extracted is not None else ""


def bare_trafilatura_text(html: bytes, url: str) -> str:
    """trafilatura with its defaults, the baseline we must not fall below."""
    import trafilatura

    return trafilatura.extract(html, url=url or None) or ""


@dataclass(frozen=True)
class PageComparison:
    page: CorpusPage
    ours: PageScore
    bare: PageScore
    ours_seconds: float
    bare_seconds: float


@dataclass(frozen=True)
class Comparison:
    pages: list[PageComparison]
    ours: CorpusScore
    bare: CorpusScore

    @property
    def ours_not_worse(self) -> bool:
        return self.ours.token_f1 >= self.bare.token_f1 and self.ours.benchmark.f1 >= self.bare.benchmark.f1


def compare_on_corpus(pages: Iterable[CorpusPage]) -> Comparison:
    """Score our extraction and bare trafilatura on each page, one right after the other. Times are CPU
    seconds of this process (time.process_time), which other work on the machine disturbs far less than
    the wall clock."""
    rows: list[PageComparison] = []
    for page in pages:
        html = page.read_bytes()
        started = time.process_time()
        ours = reader_text(html, page.url)
        ours_seconds = time.process_time() - started
        started = time.process_time()
        bare = bare_trafilatura_text(html, page.url)
        bare_seconds = time.process_time() - started
        rows.append(
            PageComparison(
                page=page,
                ours=score_page(ours, page.expected_text),
                bare=score_page(bare, page.expected_text),
                ours_seconds=ours_seconds,
                bare_seconds=bare_seconds,
            )
        )
    return Comparison(
        pages=rows,
        ours=score_corpus([row.ours for row in rows]),
        bare=score_corpus([row.bare for row in rows]),
    )
