import socket
import socketserver
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from articles.fetching import (
    FeedGoneError,
    FetchError,
    PermanentFetchError,
    TransientFetchError,
    fetch,
)


@pytest.mark.parametrize(
    "status, error",
    [
        (400, PermanentFetchError),
        (401, PermanentFetchError),
        (403, PermanentFetchError),
        (404, PermanentFetchError),
        (451, PermanentFetchError),
        (410, FeedGoneError),
        (408, TransientFetchError),
        (429, TransientFetchError),
        (500, TransientFetchError),
        (502, TransientFetchError),
        (503, TransientFetchError),
        (504, TransientFetchError),
        (300, PermanentFetchError),
        (600, PermanentFetchError),
    ],
)
def test_it_names_the_outcome_of_each_status(publisher_server, status, error):
    with pytest.raises(error) as caught:
        fetch(publisher_server.url(f"/status/{status}"))

    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.url == publisher_server.url(f"/status/{status}")


def test_it_explains_a_404_in_plain_words(publisher_server):
    with pytest.raises(PermanentFetchError) as caught:
        fetch(publisher_server.url("/no/such/feed.xml"))

    assert str(caught.value) == "The server answered 404 Not Found."


def test_it_says_a_gone_feed_is_gone_for_good(publisher_server):
    with pytest.raises(FeedGoneError, match="gone for good"):
        fetch(publisher_server.url("/status/410"))


def test_it_reads_retry_after_in_seconds(publisher_server):
    with pytest.raises(TransientFetchError) as caught:
        fetch(publisher_server.url("/status/429?header=Retry-After:120"))

    assert caught.value.retry_after == 120
    assert "slow down" in str(caught.value)


def test_it_reads_retry_after_as_a_date(publisher_server):
    when = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    publisher_server.route("/busy.xml", status=503, headers={"Retry-After": when})

    with pytest.raises(TransientFetchError) as caught:
        fetch(publisher_server.url("/busy.xml"))

    assert 590 <= caught.value.retry_after <= 601
    assert str(caught.value) == "The server answered 503 Service Unavailable."


@pytest.mark.parametrize("value", ["soon", "-5", "", "Fri, 31 Dec 1999 23:59:59 GMT"])
def test_it_makes_do_with_a_useless_retry_after(publisher_server, value):
    publisher_server.route("/meh.xml", status=429, headers={"Retry-After": value})

    with pytest.raises(TransientFetchError) as caught:
        fetch(publisher_server.url("/meh.xml"))

    assert caught.value.retry_after in (None, 0)


def test_it_has_no_retry_after_on_a_plain_500(publisher_server):
    with pytest.raises(TransientFetchError) as caught:
        fetch(publisher_server.url("/status/500"))

    assert caught.value.retry_after is None


def test_it_treats_a_refused_connection_as_passing(publisher_server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(TransientFetchError, match="Could not connect"):
        fetch(f"http://127.0.0.1:{port}/feed.xml")


class _Garbage(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(65536)
        self.request.sendall(b"SMTP ready, not HTTP at all\r\n\r\n")


def test_it_treats_a_garbled_answer_as_passing():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Garbage)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TransientFetchError, match="malformed"):
            fetch(f"http://127.0.0.1:{server.server_address[1]}/feed.xml")
    finally:
        server.shutdown()
        server.server_close()


def test_it_treats_a_body_cut_short_as_passing(publisher_server):
    publisher_server.route("/short.xml", body=b"<rss>", headers={"Content-Length": "500"})

    started = time.monotonic()
    with pytest.raises(TransientFetchError):
        fetch(publisher_server.url("/short.xml"), read_timeout=1)

    assert time.monotonic() - started < 5


def test_it_gives_every_error_a_sentence_for_the_reader(publisher_server):
    messages = []
    for path in ["/status/404", "/status/410", "/status/429", "/status/503", "/loop/0", "/redirect/302/9"]:
        with pytest.raises(FetchError) as caught:
            fetch(publisher_server.url(path))
        messages.append(str(caught.value))

    for message in messages:
        assert message[0].isupper() and message.endswith(".")
        assert "httpx" not in message and "Traceback" not in message
