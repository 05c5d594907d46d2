"""Which body a story keeps: the page's extracted text or what the feed carried."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from articles.extraction.extract import Extracted
from articles.sanitizing.text import html_to_text, word_count

# The extracted page wins unless it has fewer than this share of the feed's words. Below 1 because an
# extraction that trims the feed's own furniture ("The post ... appeared first on ...", share links)
# is still the whole story; well below it, the extractor has picked the wrong block (a caption, a
# teaser, a consent wall) and the feed's copy is the better one.
MIN_SHARE_OF_FEED_WORDS = 0.8


@dataclass(frozen=True)
class ChosenContent:
    source: Literal["extracted", "feed"]
    html: str  # sanitized when it comes from the extraction; the feed's as the feed's was stored
    text: str
    word_count: int


def choose_content(extracted: Extracted | None, *, feed_text: str, feed_html: str) -> ChosenContent:
    """Keep the extracted full text unless it carries less than the feed did.

    The rule: with no extraction (or an empty one) the feed's content stays; with a feed that has no
    words the extraction is taken; otherwise the extraction is taken when its word count is at least
    MIN_SHARE_OF_FEED_WORDS (0.8) times the feed's. The feed's words are counted on `feed_text`, or on
    the text of `feed_html` when no text is given. Pure.
    """
    feed_text = feed_text or html_to_text(feed_html)
    feed_words = word_count(feed_text)
    feed = ChosenContent(source="feed", html=feed_html, text=feed_text, word_count=feed_words)
    if extracted is None or extracted.word_count == 0:
        return feed
    if feed_words and extracted.word_count < MIN_SHARE_OF_FEED_WORDS * feed_words:
        return feed
    return ChosenContent(
        source="extracted",
        html=extracted.content_html,
        text=extracted.text,
        word_count=extracted.word_count,
    )
