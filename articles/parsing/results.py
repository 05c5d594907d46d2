from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ParsedItem:
    """One story of a feed, normalised so every format looks the same to the rest of the pipeline.

    `content_html` and `summary_html` are raw (the sanitize stage cleans them); relative URLs in them
    resolve against `base_url`. `content_html` is empty when the feed only carries a summary.
    """

    guid: str
    url: str = ""
    title: str = ""
    author: str = ""
    published_at: datetime | None = None
    updated_at: datetime | None = None
    summary_html: str = ""
    content_html: str = ""
    base_url: str = ""
    image_url: str = ""
    language: str = ""
    categories: list[str] = field(default_factory=list)


@dataclass
class ParsedFeed:
    title: str = ""
    link: str = ""
    description: str = ""
    language: str = ""
    ttl_seconds: int | None = None
    image_url: str = ""
    items: list[ParsedItem] = field(default_factory=list)
    bozo: bool = False
    bozo_message: str = ""
    format: str = ""
