"""factory_boy factories shared by the tests. Add a factory here rather than building rows by hand."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article, Feed, Publisher
from subscriptions.models import Folder, ReadingList, ReadingListItem, ReadState, Subscription


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher

    name = factory.Sequence(lambda n: f"Publisher {n}")
    slug = factory.Sequence(lambda n: f"publisher-{n}")
    site_url = factory.Sequence(lambda n: f"https://publisher{n}.example.org/")
    category = "News"
    country = "United Kingdom"
    language = "en"
    in_catalogue = True


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    publisher = factory.SubFactory(PublisherFactory)
    url = factory.Sequence(lambda n: f"https://publisher{n}.example.org/feed.xml")
    title = factory.LazyAttribute(lambda o: o.publisher.name)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    feed = factory.SubFactory(FeedFactory)
    publisher = factory.LazyAttribute(lambda o: o.feed.publisher)
    guid = factory.Sequence(lambda n: f"https://news.example.org/story/{n}")
    guid_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.guid.encode()).hexdigest())
    url = factory.LazyAttribute(lambda o: o.guid)
    title = factory.Sequence(lambda n: f"Story number {n}")
    author = "A. Writer"
    published_at = factory.LazyFunction(timezone.now)
    summary = "A short summary of the story."
    content_html = "<p>The full text of the story.</p>"
    text = "The full text of the story."
    word_count = 6
    reading_time = 1
    extraction_status = Article.Extraction.EXTRACTED


class FolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Folder

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Folder {n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    feed = factory.SubFactory(FeedFactory)


class ReadStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadState

    user = factory.SubFactory(UserFactory)
    article = factory.SubFactory(ArticleFactory)


class ReadingListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadingList

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"List {n}")


class ReadingListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadingListItem

    reading_list = factory.SubFactory(ReadingListFactory)
    article = factory.SubFactory(ArticleFactory)
