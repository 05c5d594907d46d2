from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_migrate, post_save


def _repair_search_schema(sender, using="default", **kwargs) -> None:
    from discovery.search_schema import search_schema_repair

    search_schema_repair(using=using)


def _pick_saved(sender, **kwargs) -> None:
    from discovery.selectors.picks import picks_changed

    # Now, and again after the commit: a request between the two may have cached the old state.
    picks_changed()
    transaction.on_commit(picks_changed)


class DiscoveryConfig(AppConfig):
    name = "discovery"
    verbose_name = "Search, story clusters, top stories and picks"

    def ready(self) -> None:
        # After every migrate: a SQLite table rebuild of articles_article drops the search triggers.
        post_migrate.connect(_repair_search_schema, sender=self, dispatch_uid="discovery-search-repair")
        # A new or changed pick must show at once: the river caches whether any pick is active.
        post_save.connect(_pick_saved, sender="discovery.Pick", dispatch_uid="discovery-pick-saved")
