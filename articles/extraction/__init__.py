"""Article page HTML -> main content and metadata (trafilatura). No network, no ORM."""

from articles.extraction.choose import MIN_SHARE_OF_FEED_WORDS, ChosenContent, choose_content
from articles.extraction.extract import MAX_PAGE_BYTES, Extracted, extract_article

__all__ = [
    "MAX_PAGE_BYTES",
    "MIN_SHARE_OF_FEED_WORDS",
    "ChosenContent",
    "Extracted",
    "choose_content",
    "extract_article",
]
