from django.db import models
from django.utils import timezone


class Publisher(models.Model):
    """A news source: one of the shipped catalogue, or made when a user follows a feed of their own."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    site_url = models.URLField(max_length=2048, blank=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    country = models.CharField(max_length=100, blank=True, db_index=True)
    language = models.CharField(max_length=20, blank=True)
    logo_url = models.URLField(max_length=2048, blank=True)
    in_catalogue = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feed(models.Model):
    """One feed URL and everything needed to poll it politely."""

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(max_length=2048, unique=True)
    title = models.CharField(max_length=300, blank=True)
    site_url = models.URLField(max_length=2048, blank=True)
    etag = models.CharField(max_length=512, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    interval_seconds = models.PositiveIntegerField(default=60 * 60)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_new_item_at = models.DateTimeField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    disabled = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # A worker that takes the feed sets this; another worker skips it until the lease runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["disabled", "next_check_at"], name="feed_due_idx")]

    def __str__(self) -> str:
        return self.title or self.url


class Article(models.Model):
    class Extraction(models.TextChoices):
        PENDING = "pending", "Waiting for the full text"
        EXTRACTED = "extracted", "Full text from the page"
        FEED = "feed", "Text from the feed"
        FAILED = "failed", "Page could not be read"

    feed = models.ForeignKey(Feed, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="articles")
    guid = models.TextField()
    # sha256 of guid: a fixed-size key for the unique index whatever the feed puts in its guids.
    guid_hash = models.CharField(max_length=64)
    url = models.URLField(max_length=2048, blank=True)
    title = models.TextField(blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    summary = models.TextField(blank=True)
    content_html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    lead_image_url = models.URLField(max_length=2048, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    reading_time = models.PositiveIntegerField(default=0, help_text="minutes")
    language = models.CharField(max_length=20, blank=True)
    extraction_status = models.CharField(
        max_length=12, choices=Extraction.choices, default=Extraction.PENDING, db_index=True
    )
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publisher", "guid_hash"], name="article_unique_per_publisher")
        ]
        indexes = [
            models.Index(fields=["feed", "-published_at", "-id"], name="article_feed_river_idx"),
            # The feed is in the key (not needed for the order) so that the river can find the newest
            # stories of the feeds a reader follows from the index alone, without visiting each story.
            models.Index(fields=["-published_at", "-id", "feed"], name="article_river_feed_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.url
