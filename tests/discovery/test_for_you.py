"""For you: unread stories ordered by the publishers and subjects the reader reads and saves, with why."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from discovery.selectors import for_you_for_user
from tests.factories import (
    ArticleFactory,
    ReadingListFactory,
    ReadingListItemFactory,
    ReadStateFactory,
    SubscriptionFactory,
    UserFactory,
)


def test_it_puts_the_publishers_and_subjects_i_care_about_first_and_says_why(reader):
    now = timezone.now()
    loved = SubscriptionFactory(user=reader).feed
    other = SubscriptionFactory(user=reader).feed
    for _ in range(4):
        ReadStateFactory(
            user=reader, article=ArticleFactory(feed=loved, published_at=now - timedelta(days=2))
        )
    saves = ReadingListFactory(user=reader, is_default=True)
    for i in range(3):  # saved from the catalogue, not from what I follow
        ReadingListItemFactory(reading_list=saves, article=ArticleFactory(title=f"Volcano update {i}"))
    plain = ArticleFactory(feed=other, title="Parking rules change", published_at=now)
    from_loved = ArticleFactory(feed=loved, title="Budget news", published_at=now - timedelta(hours=3))
    on_topic = ArticleFactory(feed=other, title="Volcano erupts again", published_at=now - timedelta(hours=5))
    stories = for_you_for_user(user=reader, now=now)
    order = [s.article.pk for s in stories]
    assert order.index(on_topic.pk) < order.index(plain.pk)
    assert order.index(from_loved.pk) < order.index(plain.pk)
    reasons = {s.article.pk: s.reasons for s in stories}
    assert f"You often read {loved.publisher.name}" in reasons[from_loved.pk]
    assert "You saved 3 stories about “volcano”" in reasons[on_topic.pk]
    assert reasons[plain.pk]  # every card says why


def test_it_leaves_out_what_i_have_read(reader):
    feed = SubscriptionFactory(user=reader).feed
    read = ArticleFactory(feed=feed)
    ReadStateFactory(user=reader, article=read)
    assert read.pk not in [s.article.pk for s in for_you_for_user(user=reader)]


def test_the_page_shows_the_reasons(client, reader):
    ArticleFactory(feed=SubscriptionFactory(user=reader).feed, title="Fresh story")
    client.force_login(reader)
    body = client.get(reverse("discovery:for-you")).content.decode()
    assert "Fresh story" in body and 'class="reason"' in body


def test_the_main_nav_links_to_for_you(client, db):
    client.force_login(UserFactory())
    body = client.get(reverse("discovery:top-stories")).content.decode()
    assert f'href="{reverse("discovery:for-you")}" data-nav="for-you"' in body
