"""Rows for discovery tests: stories with members, made through the real clustering where it matters."""

from datetime import datetime

from discovery.models import ClusterMember, StoryCluster
from discovery.services import _cluster_refresh
from tests.factories import ArticleFactory, PublisherFactory


def story_with_members(
    *, n: int, published_at: datetime, title: str = "Story", category: str = "News", **kwargs
):
    """A StoryCluster of `n` articles, each from its own catalogue publisher, with counts refreshed."""
    cluster = StoryCluster.objects.create(first_published_at=published_at, last_published_at=published_at)
    articles = []
    for i in range(n):
        publisher = PublisherFactory(category=category)
        article = ArticleFactory(
            title=f"{title} {i}", feed__publisher=publisher, published_at=published_at, **kwargs
        )
        ClusterMember.objects.create(article=article, cluster=cluster, similarity=0.3 if i else 1.0)
        articles.append(article)
    _cluster_refresh(cluster.pk)
    cluster.refresh_from_db()
    return cluster, articles
