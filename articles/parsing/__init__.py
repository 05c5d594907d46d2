"""The parse stage: feed bytes in, ParsedFeed/ParsedItem dataclasses out. No network, no ORM."""

from .errors import FeedParseError
from .parse import parse_feed
from .results import ParsedFeed, ParsedItem

__all__ = ["FeedParseError", "ParsedFeed", "ParsedItem", "parse_feed"]
