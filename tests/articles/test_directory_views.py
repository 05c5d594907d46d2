import pytest
from django.core.cache import cache
from django.urls import reverse

from subscriptions.models import Subscription
from tests.factories import ArticleFactory, FeedFactory, PublisherFactory, SubscriptionFactory, UserFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fresh_facets():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_it_lists_catalogue_publishers_with_their_follow_state(client, alice):
    followed = FeedFactory(publisher=PublisherFactory(name="Daily Planet")).publisher
    SubscriptionFactory(user=alice, feed=followed.feeds.get())
    PublisherFactory(name="Gotham Gazette")
    PublisherFactory(name="Private Blog", in_catalogue=False)

    response = client.get(reverse("articles:publisher-directory"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Daily Planet" in html and "Gotham Gazette" in html
    assert "Private Blog" not in html
    assert reverse("subscriptions:publisher-unfollow", args=[followed.pk]) in html
    assert 'aria-pressed="true"' in html and 'aria-pressed="false"' in html


@pytest.mark.django_db
def test_it_filters_by_category_and_country_and_searches_by_name(client, alice):
    PublisherFactory(name="Tech Today", category="Tech", country="Canada")
    PublisherFactory(name="Tech Tomorrow", category="Tech", country="India")
    PublisherFactory(name="Sports Daily", category="Sports", country="Canada")

    def names(**params):
        page = client.get(reverse("articles:publisher-directory"), params).context["page"]
        return [p.name for p in page.object_list]

    assert names(category="Tech") == ["Tech Today", "Tech Tomorrow"]
    assert names(country="Canada") == ["Sports Daily", "Tech Today"]
    assert names(category="Tech", country="India") == ["Tech Tomorrow"]
    assert names(q="tomorrow") == ["Tech Tomorrow"]
    assert names(q="nothing like it") == []


@pytest.mark.django_db
def test_it_offers_the_categories_and_countries_with_their_sizes(client, alice):
    PublisherFactory(category="Tech", country="Canada")
    PublisherFactory(category="Tech", country="India")
    html = client.get(reverse("articles:publisher-directory")).content.decode()
    assert "Tech (2)" in html and "Canada (1)" in html and "India (1)" in html


@pytest.mark.django_db
def test_it_answers_htmx_searches_with_the_results_only(client, alice):
    PublisherFactory(name="Tech Today")
    response = client.get(
        reverse("articles:publisher-directory"),
        {"q": "tech"},
        headers={**HTMX, "HX-Target": "directory-results"},
    )
    html = response.content.decode()
    assert "Tech Today" in html
    assert "<html" not in html


@pytest.mark.django_db
def test_it_says_so_when_nothing_matches(client, alice):
    html = client.get(reverse("articles:publisher-directory"), {"q": "zzz"}).content.decode()
    assert "No publisher found" in html


@pytest.mark.django_db
@pytest.mark.parametrize("n_publishers", [3, 120])
def test_it_takes_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries, n_publishers):
    for i in range(n_publishers):
        feed = FeedFactory(publisher=PublisherFactory(category=f"Cat {i % 7}", country=f"Country {i % 5}"))
        if i % 3 == 0:
            SubscriptionFactory(user=alice, feed=feed)
    # session + user + count + page + two facet queries (cached after the first visit)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("articles:publisher-directory"))
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        client.get(reverse("articles:publisher-directory"), {"category": "Cat 1", "page": 2})


@pytest.mark.django_db
def test_it_pages_through_a_large_catalogue(client, alice):
    for i in range(60):
        PublisherFactory(name=f"Paper {i:03}")
    first = client.get(reverse("articles:publisher-directory"))
    second = client.get(reverse("articles:publisher-directory"), {"page": 2})
    assert len(first.context["page"].object_list) == 48
    assert [p.name for p in second.context["page"].object_list][0] == "Paper 048"
    assert "Page 1 of 2" in first.content.decode()


# --- A publisher's page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_a_publisher_with_its_latest_stories(client, alice):
    publisher = PublisherFactory(name="Daily Planet", description="News from Metropolis")
    feed = FeedFactory(publisher=publisher)
    ArticleFactory(feed=feed, title="Hero saves the day")
    ArticleFactory(title="Somebody else's story")

    response = client.get(reverse("articles:publisher-detail", args=[publisher.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Daily Planet" in html and "News from Metropolis" in html
    assert "Hero saves the day" in html
    assert "Somebody else" not in html
    assert reverse("subscriptions:publisher-follow", args=[publisher.pk]) in html


@pytest.mark.django_db
def test_it_takes_a_fixed_number_of_queries_for_a_publisher_page(
    client, alice, django_assert_max_num_queries
):
    feed = FeedFactory()
    ArticleFactory.create_batch(25, feed=feed)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("articles:publisher-detail", args=[feed.publisher.slug])).status_code == 200


@pytest.mark.django_db
def test_it_hides_a_private_publisher_from_who_does_not_follow_it(client, alice):
    private = FeedFactory(publisher=PublisherFactory(in_catalogue=False, name="Bob's own blog"))
    SubscriptionFactory(feed=private)  # somebody else follows it
    response = client.get(reverse("articles:publisher-detail", args=[private.publisher.slug]))
    assert response.status_code == 404

    SubscriptionFactory(user=alice, feed=private)
    assert client.get(reverse("articles:publisher-detail", args=[private.publisher.slug])).status_code == 200


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_publisher(client, alice):
    assert client.get(reverse("articles:publisher-detail", args=["no-such-paper"])).status_code == 404


# --- Follow and unfollow in one click ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_follows_every_feed_of_a_publisher_in_one_click(client, alice):
    publisher = PublisherFactory(name="Daily Planet")
    FeedFactory.create_batch(2, publisher=publisher)

    response = client.post(reverse("subscriptions:publisher-follow", args=[publisher.pk]), headers=HTMX)

    assert response.status_code == 200
    assert "Following" in response.content.decode()
    assert reverse("subscriptions:publisher-unfollow", args=[publisher.pk]) in response.content.decode()
    assert Subscription.objects.filter(user=alice, feed__publisher=publisher).count() == 2


@pytest.mark.django_db
def test_it_follows_only_once_when_clicked_twice(client, alice):
    feed = FeedFactory()
    client.post(reverse("subscriptions:publisher-follow", args=[feed.publisher.pk]))
    client.post(reverse("subscriptions:publisher-follow", args=[feed.publisher.pk]))
    assert Subscription.objects.filter(user=alice).count() == 1


@pytest.mark.django_db
def test_it_unfollows_a_publisher(client, alice):
    feed = FeedFactory()
    SubscriptionFactory(user=alice, feed=feed)
    other = SubscriptionFactory(feed=feed)

    response = client.post(
        reverse("subscriptions:publisher-unfollow", args=[feed.publisher.pk]), headers=HTMX
    )

    assert reverse("subscriptions:publisher-follow", args=[feed.publisher.pk]) in response.content.decode()
    assert not Subscription.objects.filter(user=alice).exists()
    assert Subscription.objects.filter(pk=other.pk).exists()  # another reader's follow stays


@pytest.mark.django_db
def test_it_goes_back_to_the_page_without_javascript(client, alice):
    feed = FeedFactory()
    back = reverse("articles:publisher-directory") + "?category=Tech"
    response = client.post(
        reverse("subscriptions:publisher-follow", args=[feed.publisher.pk]), {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back


@pytest.mark.django_db
def test_it_does_not_redirect_off_site(client, alice):
    feed = FeedFactory()
    response = client.post(
        reverse("subscriptions:publisher-follow", args=[feed.publisher.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("articles:publisher-directory")


@pytest.mark.django_db
def test_it_explains_a_publisher_without_a_feed(client, alice):
    publisher = PublisherFactory()
    response = client.post(reverse("subscriptions:publisher-follow", args=[publisher.pk]), follow=True)
    assert "has no feed to follow" in response.content.decode()


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_publisher_id(client, alice):
    assert client.post(reverse("subscriptions:publisher-follow", args=[99999])).status_code == 404
