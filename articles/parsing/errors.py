class FeedParseError(Exception):
    """The bytes are not a feed at all (an HTML page, an empty body, binary data, nothing salvageable).

    The message is written for the person who subscribed: it can be shown as the feed's last error.
    """
