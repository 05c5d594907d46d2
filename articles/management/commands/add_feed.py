from django.core.management.base import BaseCommand, CommandError

from articles.services import FeedLookupError, feed_get_or_create, feed_preview


class Command(BaseCommand):
    help = "Add the feed at URL (a feed's address, or a site's page whose feed is found for you)."

    def add_arguments(self, parser):
        parser.add_argument("url")

    def handle(self, *args, url: str, **options):
        try:
            preview = feed_preview(url=url)
        except FeedLookupError as exc:
            raise CommandError(str(exc)) from exc
        feed, created = feed_get_or_create(
            url=preview.feed_url, title=preview.title, site_url=preview.site_url
        )
        verb = "Added" if created else "Already known:"
        self.stdout.write(
            f"{verb} feed {feed.id} {feed.url} ({preview.title}, {len(preview.items)} recent stories)"
        )
