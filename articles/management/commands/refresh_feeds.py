from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.models import Feed


class Command(BaseCommand):
    help = "Refresh feeds: queue them for the workers, or with --sync run the whole pipeline here."

    def add_arguments(self, parser):
        parser.add_argument("--feed", type=int, action="append", help="only this feed id (repeatable)")
        parser.add_argument(
            "--sync", action="store_true", help="fetch, parse, store and extract in this process"
        )
        parser.add_argument(
            "--no-extract", action="store_true", help="with --sync: keep the feeds' text only"
        )

    def handle(self, *args, feed=None, sync=False, no_extract=False, **options):
        feeds = Feed.objects.filter(disabled=False)
        if feed:
            feeds = feeds.filter(id__in=feed)
        ids = list(feeds.order_by("id").values_list("id", flat=True))
        if not sync:
            from articles.tasks import feed_refresh

            for feed_id in ids:
                feed_refresh.delay(feed_id)
            self.stdout.write(f"Queued {len(ids)} feeds for the workers.")
            return
        self._refresh_here(ids, extract=not no_extract)

    def _refresh_here(self, ids: list[int], *, extract: bool) -> None:
        from articles.pipeline import article_extract, feeds_refresh
        from discovery.services import article_cluster

        counts: Counter[str] = Counter()
        new_ids: list[int] = []
        batch = settings.FEED_TASK_BATCH
        show = self.stdout.isatty()
        with tqdm(total=len(ids), unit="feed", desc="Feeds", disable=not show) as bar:
            for start in range(0, len(ids), batch):
                for outcome in feeds_refresh(
                    feed_ids=ids[start : start + batch], concurrency=settings.FETCH_CONCURRENCY
                ):
                    counts[outcome.status] += 1
                    counts["new"] += outcome.new
                    counts["updated"] += outcome.updated
                    new_ids += outcome.new_article_ids
                    if outcome.status == "failed":
                        self.stderr.write(f"feed {outcome.feed_id}: {outcome.error}")
                    bar.update(1)
        if extract and new_ids:
            for article_id in tqdm(new_ids, unit="story", desc="Full text", disable=not show):
                counts["extract_" + article_extract(article_id=article_id)] += 1
        for article_id in new_ids:
            article_cluster(article_id=article_id)
        self.stdout.write(
            f"fetched {counts['fetched']}, not modified {counts['not_modified']}, new {counts['new']}, "
            f"updated {counts['updated']}, failed {counts['failed']}"
            + (
                f"; full text {counts['extract_extracted']}, feed text kept {counts['extract_feed']}, "
                f"no text {counts['extract_failed']}"
                if extract and new_ids
                else ""
            )
        )
