"""Cluster the stored articles that have not been clustered yet (after installing discovery, or a gap).

manage.py cluster_articles                 # every article without a signature, oldest first
manage.py cluster_articles --days 7        # only those published in the last week
manage.py cluster_articles --prune         # afterwards, drop postings past the matching window
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from discovery.services import articles_cluster_backfill, signatures_prune


class Command(BaseCommand):
    help = "Group stored articles into stories (incremental; safe to interrupt and re-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="only articles published in the last N days"
        )
        parser.add_argument("--limit", type=int, default=None, help="stop after N articles")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--prune", action="store_true", help="then prune postings past the window")

    def handle(
        self, *args, days: int | None, limit: int | None, batch_size: int, prune: bool, **options
    ) -> None:
        since = timezone.now() - timedelta(days=days) if days is not None else None

        def progress(done: int) -> None:
            if options.get("verbosity", 1) >= 2:
                self.stdout.write(f"  {done} articles")

        done = articles_cluster_backfill(
            since=since, batch_size=max(1, batch_size), limit=limit, progress=progress
        )
        self.stdout.write(f"Clustered {done} articles.")
        if prune:
            self.stdout.write(f"Pruned the postings of {signatures_prune()} articles.")
