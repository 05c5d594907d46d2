"""Story clustering in the worker: real corpus articles from several publishers, crafted wire copies."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from discovery.evaluation import load_eval_set
from discovery.models import ArticleSignature, ClusterMember, StoryCluster, TokenPosting
from discovery.services import article_cluster, articles_cluster_backfill, signatures_prune
from discovery.tasks import article_cluster as article_cluster_task
from discovery.tasks import articles_cluster as articles_cluster_task
from tests.factories import ArticleFactory, PublisherFactory


@pytest.fixture(scope="module")
def corpus():
    return {a.key[:8] if not a.copy_of else a.key: a for a in load_eval_set()}


def _store(corpus, key, *, hours=0, publisher=None):
    item = corpus[key]
    return ArticleFactory(
        title=item.title,
        text=item.text,
        published_at=item.published_at + timedelta(hours=hours),
        feed__publisher=publisher or PublisherFactory(name=item.publisher),
    )


def test_it_groups_reports_of_one_event_from_different_publishers(db, corpus):
    first = _store(corpus, "7bb1ca90")  # Gizmodo: "feather duvet lung"
    second = _store(corpus, "bd673bd7")  # Live Science, same case report
    unrelated = _store(corpus, "51374560")  # Home Depot results
    assert article_cluster(article_id=first.pk) is None  # nothing to match yet
    member = article_cluster(article_id=second.pk)
    assert member is not None and not member.is_duplicate
    assert article_cluster(article_id=unrelated.pk) is None
    cluster = StoryCluster.objects.get()
    assert (cluster.size, cluster.publisher_count) == (2, 2)
    assert set(cluster.members.values_list("article_id", flat=True)) == {first.pk, second.pk}
    assert cluster.lead_article_id == min((first, second), key=lambda a: a.published_at).pk


def test_it_marks_a_syndicated_copy_as_a_duplicate_of_the_original(db, corpus):
    original = _store(corpus, "82b6d780")
    copy = _store(corpus, "copy-sondland-courier")
    second_copy = _store(corpus, "copy-sondland-herald")
    article_cluster(article_id=original.pk)
    member = article_cluster(article_id=copy.pk)
    assert member.is_duplicate and member.duplicate_of_id == original.pk
    member = article_cluster(article_id=second_copy.pk)
    assert member.is_duplicate and member.duplicate_of_id == original.pk
    cluster = StoryCluster.objects.get()
    assert (cluster.size, cluster.publisher_count, cluster.lead_article_id) == (3, 3, original.pk)


def test_it_keeps_stories_apart_outside_the_time_window(db, corpus):
    first = _store(corpus, "14cc2a0c")
    much_later = _store(corpus, "686bb170", hours=24 * 5)
    article_cluster(article_id=first.pk)
    assert article_cluster(article_id=much_later.pk) is None


def test_it_finds_earlier_coverage_stored_after_it(db, corpus):
    """Articles arrive out of order: the window looks both ways."""
    later = _store(corpus, "d1c57d78")
    earlier = _store(corpus, "c50845a7")
    article_cluster(article_id=later.pk)
    assert article_cluster(article_id=earlier.pk) is not None
    assert StoryCluster.objects.get().lead_article_id == earlier.pk


def test_it_is_safe_to_repeat_and_skips_articles_without_words(db, corpus):
    a, b = _store(corpus, "6ebac05f"), _store(corpus, "7a457a4f")
    article_cluster(article_id=a.pk)
    member = article_cluster(article_id=b.pk)
    assert article_cluster(article_id=b.pk) == member
    assert article_cluster(article_id=a.pk).cluster_id == member.cluster_id
    assert ClusterMember.objects.count() == 2 and StoryCluster.objects.count() == 1
    empty = ArticleFactory(title="", text="", summary="")
    assert article_cluster(article_id=empty.pk) is None
    assert article_cluster(article_id=10**12) is None


def test_the_task_returns_the_cluster_id(db, corpus):
    a, b = _store(corpus, "156770d6"), _store(corpus, "776a1c04")
    assert article_cluster_task(a.pk) is None
    assert article_cluster_task(b.pk) == StoryCluster.objects.get().pk


def test_the_batch_task_clusters_each_story_and_counts_those_that_joined(db, corpus):
    a, b = _store(corpus, "156770d6"), _store(corpus, "776a1c04")
    unrelated = _store(corpus, "ea25dd7e")
    assert articles_cluster_task([a.pk, b.pk, unrelated.pk]) == 1
    assert {m.article_id for m in ClusterMember.objects.all()} == {a.pk, b.pk}
    assert articles_cluster_task([a.pk, b.pk]) == 2  # again: the same cluster, nothing new


def test_the_backfill_command_clusters_what_is_stored_oldest_first(db, corpus):
    keys = ["8b194530", "ba4dfe2d", "ea25dd7e", "360c732d"]  # three plague reports, one Alibaba listing
    stored = [_store(corpus, key) for key in keys]
    call_command("cluster_articles", "--batch-size", "2", stdout=io.StringIO())
    assert ArticleSignature.objects.count() == 4
    plague = {m.article_id for m in ClusterMember.objects.all()}
    assert plague == {a.pk for a in stored[:3]}
    assert articles_cluster_backfill() == 0  # nothing left to do


def test_pruning_drops_postings_past_the_window_but_keeps_clusters(db, corpus):
    a, b = _store(corpus, "b37be353"), _store(corpus, "e1c7023e")
    article_cluster(article_id=a.pk)
    article_cluster(article_id=b.pk)
    assert TokenPosting.objects.exists()
    assert signatures_prune(older_than=timedelta(days=1)) == 2  # the corpus is from 2019
    assert not TokenPosting.objects.exists()
    assert ArticleSignature.objects.filter(pruned=True).count() == 2
    assert ClusterMember.objects.count() == 2
    assert signatures_prune() == 0


def test_deleting_an_article_removes_its_postings(db):
    article = ArticleFactory(title="Volcano erupts near the coastal town", text="Lava flows reached the sea.")
    article_cluster(article_id=article.pk)
    Article.objects.filter(pk=article.pk).delete()
    assert not TokenPosting.objects.exists() and not ArticleSignature.objects.exists()


def test_recent_articles_cluster_with_todays_dates(db):
    now = timezone.now()
    text = "The city council voted on Tuesday to close the harbour bridge for repairs after engineers found cracks."
    a = ArticleFactory(title="Harbour bridge to close for repairs", text=text, published_at=now)
    b = ArticleFactory(
        title="Council closes harbour bridge after cracks found",
        text="Engineers found cracks in the harbour bridge; the council voted to close it for repairs.",
        published_at=now + timedelta(hours=1),
    )
    article_cluster(article_id=a.pk)
    assert article_cluster(article_id=b.pk) is not None
