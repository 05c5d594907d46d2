import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article, Feed


class Folder(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="folder_unique_name_per_user")]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="subscriptions")
    title = models.CharField(max_length=300, blank=True, help_text="overrides the feed's title")
    folder = models.ForeignKey(
        Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "feed"], name="subscription_unique_per_user")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or self.feed.title or self.feed.publisher.name


class ReadState(models.Model):
    """A row means the user has read the article; no row means unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_states")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="read_states")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="readstate_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.article_id}"


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


class ReadingList(models.Model):
    READ_LATER = "Read later"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_lists")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False, help_text="the user's Read later list")
    # The private Atom feed of the list lives at a URL with this secret in it.
    feed_secret = models.CharField(max_length=64, default=_new_secret, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="readinglist_unique_name_per_user"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="readinglist_one_default_per_user"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReadingListItem(models.Model):
    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reading_list_items")
    added_at = models.DateTimeField(default=timezone.now)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "article"], name="readinglistitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} in list {self.reading_list_id}"


class OpmlImport(models.Model):
    """One OPML file a user uploaded; a worker follows its feeds and records an outcome for each."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opml_imports")
    filename = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # Outlines the parser refused (bad URL) or found twice in the file: counted, not listed.
    skipped_in_file = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename or 'OPML import'} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else (100 if self.is_finished else 0)


class OpmlImportItem(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting"
        ADDED = "added", "Followed"
        DUPLICATE = "duplicate", "Already followed"
        UNREACHABLE = "unreachable", "Followed, but not reachable yet"
        INVALID = "invalid", "Refused"

    opml_import = models.ForeignKey(OpmlImport, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True)
    xml_url = models.URLField(max_length=2048)
    folder = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    message = models.TextField(blank=True)
    feed = models.ForeignKey(Feed, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["opml_import", "position"], name="opmlimportitem_unique_position")
        ]

    def __str__(self) -> str:
        return self.title or self.xml_url
