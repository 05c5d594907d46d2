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
    folder = models.ForeignKey(Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions")
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
