"""Allow-list HTML cleaning and the text figures derived from article HTML. Pure functions, no ORM."""

from articles.sanitizing.html import sanitize_html
from articles.sanitizing.text import content_hash, html_to_text, reading_time_minutes, word_count
from articles.sanitizing.urls import strip_tracking_params

__all__ = [
    "content_hash",
    "html_to_text",
    "reading_time_minutes",
    "sanitize_html",
    "strip_tracking_params",
    "word_count",
]
