from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article


class StoryCluster(models.Model):
    """One story (an event) as covered by several articles, often from several publishers.

    The counts are kept on the row (updated when a member joins) so that ranking the top stories reads
    one table, not every member.
    """

    title = models.TextField(blank=True)
    lead_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    publisher_count = models.PositiveIntegerField(default=0)
    first_published_at = models.DateTimeField(default=timezone.now)
    last_published_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["-last_published_at"], name="cluster_recent_idx")]

    def __str__(self) -> str:
        return self.title or f"Story {self.pk}"


class ClusterMember(models.Model):
    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="cluster_member")
    cluster = models.ForeignKey(StoryCluster, on_delete=models.CASCADE, related_name="members")
    # Jaccard similarity of event tokens to the member it was matched with (1.0 for the first member).
    similarity = models.FloatField(default=1.0)
    # A syndicated copy (the same wire text) of an earlier member: the river can show the story once.
    is_duplicate = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.article_id} in {self.cluster_id}"


class ArticleSignature(models.Model):
    """An article's clustering features; its presence means the article has been clustered.

    `text_signature` (a MinHash of text shingles) is kept for the window in which a copy may arrive;
    `signatures_prune` empties it afterwards, and drops the article's token postings.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="signature"
    )
    published_at = models.DateTimeField(db_index=True)
    token_count = models.PositiveIntegerField(default=0)
    text_signature = models.BinaryField(blank=True, default=b"")
    digest = models.CharField(max_length=32, blank=True)
    pruned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"signature of {self.article_id}"


class TokenPosting(models.Model):
    """An inverted index of event tokens over recent articles: (token, published_at) finds, in SQL, the
    articles of a time window that share tokens with a new one, without loading any set into memory."""

    token = models.BigIntegerField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["token", "published_at"], name="posting_token_time_idx")]

    def __str__(self) -> str:
        return f"{self.token} in {self.article_id}"


class Pick(models.Model):
    """Our Picks: an article or a whole story chosen by an editor, with a short blurb, for the home page."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    cluster = models.ForeignKey(
        StoryCluster, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    blurb = models.CharField(max_length=280, help_text="One or two sentences: why this is worth reading.")
    is_active = models.BooleanField(default=True)
    show_until = models.DateTimeField(
        null=True, blank=True, help_text="Hidden after this time; empty: until removed."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(article__isnull=False, cluster__isnull=True))
                | (models.Q(article__isnull=True, cluster__isnull=False)),
                name="pick_article_xor_cluster",
            )
        ]

    def __str__(self) -> str:
        return self.blurb[:60]
