"""Publishers and feeds made when a user follows something new."""

from articles.services import feed_get_or_create, publisher_for_site
from tests.factories import PublisherFactory


def test_a_feed_joins_the_publisher_of_its_site(db):
    bbc = PublisherFactory(site_url="https://www.bbc.co.uk/news")

    feed, created = feed_get_or_create(url="https://feeds.bbci.co.uk/news/world/rss.xml",
                                       site_url="https://bbc.co.uk/news/")  # fmt: skip

    assert created and feed.publisher == bbc


def test_publishers_sharing_a_host_stay_apart(db):
    first = publisher_for_site(site_url="https://medium.com/@alice", name="Alice")
    second = publisher_for_site(site_url="https://medium.com/@bob", name="Bob")
    third = publisher_for_site(site_url="http://127.0.0.1:8765/sites/a/")
    fourth = publisher_for_site(site_url="http://127.0.0.1:9999/sites/a/")

    assert len({first.id, second.id, third.id, fourth.id}) == 4
    assert publisher_for_site(site_url="https://medium.com/@alice/") == first


def test_feed_get_or_create_is_safe_to_repeat(db):
    one, created = feed_get_or_create(url="https://example.org/feed.xml", title="Example")
    again, created_again = feed_get_or_create(url="https://example.org/feed.xml", title="Example")
    assert (created, created_again) == (True, False) and one == again
    assert one.publisher.name == "Example" and not one.publisher.in_catalogue
