"""The store stage: parsed items -> Article rows, idempotent and unique per publisher."""

from django.utils import timezone

from articles.models import Article
from articles.parsing import ParsedItem
from articles.store import _insert_fresh, article_from_item, articles_upsert
from tests.factories import FeedFactory


def items(n, body="<p>Text of story {n}.</p>"):
    return [
        ParsedItem(
            guid=f"story-{k}",
            url=f"https://example.org/s/{k}",
            title=f"Story {k}",
            summary_html=body.format(n=k),
        )
        for k in range(n)
    ]


def test_it_returns_the_ids_of_the_stories_it_inserted(db):
    feed = FeedFactory()
    result = articles_upsert(feed=feed, items=items(3), now=timezone.now(), extract=False)
    stored = Article.objects.filter(publisher_id=feed.publisher_id)
    assert sorted(result.new_ids) == sorted(stored.values_list("id", flat=True))
    assert len(result.new_ids) == 3
    assert {a.guid for a in stored} == {"story-0", "story-1", "story-2"}
    first = stored.get(guid="story-0")
    assert first.content_html == "<p>Text of story 0.</p>"
    assert first.text == "Text of story 0."
    assert first.summary == "Text of story 0."
    assert first.feed_id == feed.id
    assert first.extraction_status == Article.Extraction.FEED


def test_it_inserts_nothing_on_a_repeat_and_updates_a_changed_story(db):
    feed = FeedFactory()
    articles_upsert(feed=feed, items=items(3), now=timezone.now(), extract=False)
    again = articles_upsert(feed=feed, items=items(3), now=timezone.now(), extract=False)
    assert (again.new_ids, again.updated, again.unchanged) == ([], 0, 3)
    changed = articles_upsert(
        feed=feed, items=items(4, "<p>New text {n}.</p>"), now=timezone.now(), extract=False
    )
    assert len(changed.new_ids) == 1
    assert (changed.updated, changed.unchanged) == (3, 0)
    assert Article.objects.filter(publisher_id=feed.publisher_id).count() == 4
    assert Article.objects.get(publisher_id=feed.publisher_id, guid="story-1").text == "New text 1."


def test_a_story_stored_by_someone_else_first_is_skipped_and_not_reported_as_new(db):
    feed = FeedFactory()
    now = timezone.now()
    mine = [article_from_item(feed=feed, item=item, now=now, extract=False) for item in items(3)]
    # another worker stores story 1 between our lookup and our insert
    theirs = article_from_item(feed=feed, item=items(3)[1], now=now, extract=False)
    theirs.save()
    ids = _insert_fresh(mine)
    stored = Article.objects.filter(publisher_id=feed.publisher_id)
    assert stored.count() == 3
    if ids is not None:  # Postgres reports the rows it inserted; elsewhere the caller reads them back
        assert sorted(ids) == sorted(stored.exclude(id=theirs.id).values_list("id", flat=True))


def test_only_new_and_changed_stories_are_written_and_a_story_listed_twice_is_stored_once(db):
    feed = FeedFactory()
    first = timezone.now()
    articles_upsert(feed=feed, items=items(3), now=first, extract=False)
    listed = items(3)
    listed[2] = ParsedItem(guid="story-2", url="https://example.org/s/2", title="Story 2",
                           summary_html='<p onclick="x()">Fixed <a href="/more?utm_source=rss">text</a>.</p>')  # fmt: skip
    listed.append(ParsedItem(guid="story-0", url="https://example.org/s/0-again", title="Listed twice"))
    listed.append(items(4)[3])
    later = timezone.now()

    result = articles_upsert(feed=feed, items=listed, now=later, extract=False)

    assert (len(result.new_ids), result.updated, result.unchanged) == (1, 1, 2)
    stored = {a.guid: a for a in Article.objects.filter(publisher_id=feed.publisher_id)}
    assert len(stored) == 4
    assert stored["story-0"].title == "Story 0" and stored["story-0"].updated_at == first
    assert stored["story-1"].updated_at == first
    changed = stored["story-2"]
    assert changed.updated_at == later
    assert changed.content_html == (
        '<p>Fixed <a target="_blank" rel="noopener noreferrer nofollow" href="https://example.org/more">'
        "text</a>.</p>"
    )
    assert changed.text == "Fixed text." and changed.word_count == 2
    assert stored["story-3"].id in result.new_ids
    # a repeat of the same list finds every story as it left it
    again = articles_upsert(feed=feed, items=listed, now=timezone.now(), extract=False)
    assert (again.new_ids, again.updated, again.unchanged) == ([], 0, 4)
