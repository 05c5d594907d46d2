#!/usr/bin/env python
"""Score story clustering on the labelled evaluation set: pairwise precision and recall.

    python scripts/score_clusters.py            # totals, per-event recall, the pairs it got wrong
    python scripts/score_clusters.py --quiet    # totals only

It runs the production code (discovery.services.article_cluster, with its SQL candidate search) on a
throw-away SQLite database: the articles of discovery/data/cluster_eval.json are stored, then clustered
one by one in order of publication, as the worker would as they arrive. Then every pair of articles is
compared with the labels: "same event" (same cluster) and "duplicate" (linked by duplicate_of).
The shared corpus is read from NEWSREADER_SHARED_DIR (default: the repository's parent's `shared/`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(data_dir: str) -> None:
    # Never the configured database: a temporary SQLite file that is thrown away afterwards.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsreader.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def run(*, quiet: bool) -> int:
    import logging

    logging.getLogger("discovery").setLevel(logging.WARNING)
    from articles.models import Article, Publisher
    from discovery.evaluation import groups_from_links, hard_negative_pairs, load_eval_set, pair_score
    from discovery.models import ClusterMember
    from discovery.services import article_cluster

    articles = load_eval_set()
    publishers = {}
    for name in sorted({a.publisher for a in articles}):
        publishers[name] = Publisher.objects.create(name=name, slug=hashlib.md5(name.encode()).hexdigest())
    ids: dict[str, int] = {}
    for a in articles:
        stored = Article.objects.create(
            publisher=publishers[a.publisher],
            guid=a.key,
            guid_hash=hashlib.sha256(a.key.encode()).hexdigest(),
            title=a.title,
            text=a.text,
            published_at=a.published_at,
            extraction_status=Article.Extraction.EXTRACTED,
        )
        ids[a.key] = stored.pk
    for a in articles:  # oldest first: the order in which the worker would see them
        article_cluster(article_id=ids[a.key])

    key_of = {pk: key for key, pk in ids.items()}
    members = list(ClusterMember.objects.values_list("article_id", "cluster_id", "duplicate_of_id"))
    predicted = {key_of[a]: c for a, c, _ in members}
    gold = {a.key: a.event for a in articles}
    events = pair_score(gold, predicted)

    dup_gold = groups_from_links(gold, [(a.key, a.copy_of) for a in articles if a.copy_of])
    dup_predicted = groups_from_links(gold, [(key_of[a], key_of[d]) for a, _, d in members if d])
    duplicates = pair_score(dup_gold, dup_predicted)

    positives = events.true_positives + events.false_negatives
    print(
        f"Evaluation set: {len(articles)} articles ({sum(1 for a in articles if a.copy_of)} crafted copies), "
        f"{len(gold) * (len(gold) - 1) // 2} pairs, {positives} of them the same event"
    )
    print(
        f"Same event  precision {events.precision:.3f}  recall {events.recall:.3f}  F1 {events.f1:.3f}  "
        f"(tp {events.true_positives}, fp {events.false_positives}, fn {events.false_negatives})"
    )
    print(
        f"Duplicates  precision {duplicates.precision:.3f}  recall {duplicates.recall:.3f}  "
        f"F1 {duplicates.f1:.3f}  (tp {duplicates.true_positives}, fp {duplicates.false_positives}, "
        f"fn {duplicates.false_negatives})"
    )
    hard = hard_negative_pairs()
    wrong_hard = [
        (a, b, note)
        for a, b, note in hard
        if predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
    ]
    print(f"Hard negatives put together: {len(wrong_hard)} of {len(hard)}")
    if not quiet:
        title = {a.key: f"{a.publisher}: {a.title[:60]}" for a in articles}
        by_event: dict[str, list[str]] = {}
        for a in articles:
            if a.event:
                by_event.setdefault(a.event, []).append(a.key)
        print("\nPer event (articles, clusters they landed in):")
        for event, keys in sorted(by_event.items()):
            clusters = [predicted.get(k) for k in keys]
            print(f"  {event:<36} {len(keys)} articles -> {clusters}")
        print("\nPairs put together wrongly:")
        for a, b in sorted(
            (a, b)
            for a in gold
            for b in gold
            if a < b
            and predicted.get(a) is not None
            and predicted.get(a) == predicted.get(b)
            and not (gold[a] and gold[a] == gold[b])
        ):
            print(f"  {title[a]}\n    ~ {title[b]}")
        for _a, _b, note in wrong_hard:
            print(f"  (hard negative) {note}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="score-clusters-") as data_dir:
        _setup(data_dir)
        raise SystemExit(run(quiet=args.quiet))


if __name__ == "__main__":
    main()
