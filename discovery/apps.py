from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_search_schema(sender, using="default", **kwargs) -> None:
    from discovery.search_schema import search_schema_repair

    search_schema_repair(using=using)


class DiscoveryConfig(AppConfig):
    name = "discovery"
    verbose_name = "Search, story clusters, top stories and picks"

    def ready(self) -> None:
        # After every migrate: a SQLite table rebuild of articles_article drops the search triggers.
        post_migrate.connect(_repair_search_schema, sender=self, dispatch_uid="discovery-search-repair")
