"""The clustering's evaluation set and its pairwise scores. Pure: files and dicts in, numbers out.

The set (discovery/data/cluster_eval.json, built by scripts/build_cluster_eval.py) labels the shared
corpus's articles with the event they report, and adds crafted syndicated copies. Scores are over pairs
of articles, as usual for clustering: a pair is positive when both carry the same label; the clustering
predicts it positive when it put both in one cluster. Duplicates are scored the same way over "copy
families" (a source and its copies) against the groups linked by `duplicate_of`.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_PATH = REPO_ROOT / "discovery" / "data" / "cluster_eval.json"
DEFAULT_TIME = datetime(2019, 11, 19, 12, 0, tzinfo=UTC)


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSREADER_SHARED_DIR") or REPO_ROOT.parent / "shared")


def corpus_dir() -> Path:
    return shared_dir() / "corpus"


@dataclass(frozen=True)
class EvalArticle:
    key: str
    publisher: str
    title: str
    text: str
    published_at: datetime
    event: str | None
    copy_of: str | None = None


@dataclass(frozen=True)
class PairScore:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def apply_edits(text: str, edits: dict) -> str:
    """Make a syndicated copy of `text` as a subscriber paper would (see scripts/build_cluster_eval.py)."""
    if prefix := edits.get("strip_prefix"):
        text = text.removeprefix(prefix)
    for old, new in edits.get("replace", []):
        text = text.replace(old, new)
    if edits.get("straight_quotes"):
        text = text.translate(str.maketrans("“”‘’", "\"\"''"))
    paragraphs = _paragraphs(text)
    if n := edits.get("drop_first_paragraphs"):
        paragraphs = paragraphs[n:]
    if n := edits.get("drop_last_paragraphs"):
        paragraphs = paragraphs[:-n]
    if share := edits.get("keep_paragraphs"):
        paragraphs = paragraphs[: max(1, round(len(paragraphs) * share))]
    if insert := edits.get("insert_after_paragraph"):
        position, line = insert
        paragraphs = paragraphs[:position] + [line] + paragraphs[position:]
    if append := edits.get("append"):
        paragraphs.append(append)
    return "\n\n".join(paragraphs)


def load_eval_set(path: Path = EVAL_PATH, corpus: Path | None = None) -> list[EvalArticle]:
    """The labelled articles with their texts (from the corpus), copies included, oldest first."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pages = (corpus or corpus_dir()) / "articles"
    texts = {}
    for line in (pages / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts[row["id"]] = row["text"]
    # A source without other coverage still makes an event with its copies.
    copied = {row["copy_of"] for row in data["copies"]}
    out: dict[str, EvalArticle] = {}
    for row in data["articles"]:
        published = datetime.fromisoformat(row["published_at"]) if row["published_at"] else DEFAULT_TIME
        event = row["event"] or (f"copies-of-{row['id'][:8]}" if row["id"] in copied else None)
        out[row["id"]] = EvalArticle(
            key=row["id"],
            publisher=row["publisher"],
            title=row["title"],
            text=texts[row["id"]],
            published_at=published,
            event=event,
        )
    for row in data["copies"]:
        source = out[row["copy_of"]]
        out[row["id"]] = EvalArticle(
            key=row["id"],
            publisher=row["publisher"],
            title=row["title"],
            text=apply_edits(source.text, row["edits"]),
            published_at=source.published_at + timedelta(hours=row["hours_later"]),
            event=source.event,
            copy_of=source.key,
        )
    return sorted(out.values(), key=lambda a: (a.published_at, a.key))


def hard_negative_pairs(path: Path = EVAL_PATH) -> list[tuple[str, str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(a, b, note) for a, b, note in data["hard_negatives"]]


def pair_score(gold: dict[str, str | None], predicted: dict[str, object | None]) -> PairScore:
    """Pairwise precision/recall: `gold` maps each key to its label (None: alone), `predicted` to its
    cluster (None: alone). Keys missing from `predicted` are alone."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        same_gold = gold[a] is not None and gold[a] == gold[b]
        pa, pb = predicted.get(a), predicted.get(b)
        same_predicted = pa is not None and pa == pb
        if same_gold and same_predicted:
            tp += 1
        elif same_predicted:
            fp += 1
        elif same_gold:
            fn += 1
    return PairScore(true_positives=tp, false_positives=fp, false_negatives=fn)


def groups_from_links(keys: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """Connected components of `links` (e.g. copy -> original): key -> component root, None if alone."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    linked: set[str] = set()
    for a, b in links:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
            linked.update((a, b))
    return {k: (find(k) if k in linked else None) for k in parent}
