import pytest

from articles.fetching import BlockedAddressError, PermanentFetchError, fetch


@pytest.mark.parametrize("code", [301, 308])
def test_it_reports_the_new_address_after_permanent_redirects(publisher_server, code):
    result = fetch(publisher_server.url(f"/redirect/{code}/3?to=/feeds/atom.xml"))

    assert result.status == 200
    assert result.url == publisher_server.url("/feeds/atom.xml")
    assert result.permanent_redirect_url == publisher_server.url("/feeds/atom.xml")
    assert b"<feed" in result.content
    assert len(publisher_server.requests) == 4


@pytest.mark.parametrize("codes", ["302", "303", "307", "301,302", "308,307", "302,301"])
def test_it_keeps_the_old_address_when_any_hop_was_temporary(publisher_server, codes):
    result = fetch(publisher_server.url(f"/redirect/{codes}?to=/feeds/news.xml"))

    assert result.url == publisher_server.url("/feeds/news.xml")
    assert result.permanent_redirect_url is None


def test_it_sends_the_validators_on_every_hop(publisher_server):
    first = fetch(publisher_server.url("/feeds/news.xml"))

    again = fetch(publisher_server.url("/redirect/301,302?to=/feeds/news.xml"), etag=first.etag)

    assert again.not_modified
    assert all(r.headers["If-None-Match"] == first.etag for r in publisher_server.requests[-3:])


def test_it_follows_five_redirects(publisher_server):
    assert fetch(publisher_server.url("/redirect/302/5?to=/feeds/news.xml")).status == 200


def test_it_gives_up_after_five_redirects(publisher_server):
    with pytest.raises(PermanentFetchError, match="Too many redirects"):
        fetch(publisher_server.url("/redirect/302/6?to=/feeds/news.xml"))

    assert len(publisher_server.requests) == 6
    assert publisher_server.requests_for("/feeds/news.xml") == []


def test_it_takes_the_redirect_limit_by_keyword(publisher_server):
    with pytest.raises(PermanentFetchError, match="more than 1"):
        fetch(publisher_server.url("/redirect/301/2"), max_redirects=1)


def test_it_stops_a_redirect_loop(publisher_server):
    with pytest.raises(PermanentFetchError, match="loop"):
        fetch(publisher_server.url("/loop/0"))

    assert len(publisher_server.requests) == 2


def test_it_stops_a_page_that_redirects_to_itself(publisher_server):
    publisher_server.route("/self", status=301, headers={"Location": "/self"})

    with pytest.raises(PermanentFetchError, match="loop"):
        fetch(publisher_server.url("/self"))


def test_it_resolves_a_relative_location(publisher_server):
    publisher_server.route("/old/feed", status=301, headers={"Location": "../feeds/atom.xml#top"})

    result = fetch(publisher_server.url("/old/feed"))

    assert result.url == publisher_server.url("/feeds/atom.xml")
    assert result.permanent_redirect_url == publisher_server.url("/feeds/atom.xml")


def test_it_refuses_a_redirect_without_a_location(publisher_server):
    publisher_server.route("/nowhere", status=302)

    with pytest.raises(PermanentFetchError, match="without a destination"):
        fetch(publisher_server.url("/nowhere"))


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://example.org/feed.xml", "javascript:alert(1)", "gopher://x/", "data:,x"],
)
def test_it_refuses_a_redirect_to_another_scheme(publisher_server, connect_attempts, location):
    publisher_server.route("/elsewhere", status=302, headers={"Location": location})

    with pytest.raises(PermanentFetchError, match="Only http and https"):
        fetch(publisher_server.url("/elsewhere"))

    assert len(connect_attempts) == 1


def test_it_lets_the_allowed_network_through(other_publisher):
    result = fetch(
        other_publisher.url("/feeds/news.xml"), allow_private=False, allow_networks=["127.0.0.2/32"]
    )

    assert result.status == 200


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/feeds/news.xml",
        "http://localhost:{port}/feeds/news.xml",
        "http://[::1]:{port}/feeds/news.xml",
        "http://[::ffff:127.0.0.1]:{port}/feeds/news.xml",
        "http://10.0.0.1/feeds/news.xml",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/",
        "http://2130706433:{port}/",
    ],
)
def test_it_refuses_a_redirect_into_a_private_network(
    publisher_server, other_publisher, connect_attempts, target
):
    before = publisher_server.connections
    location = target.format(port=publisher_server.port)
    other_publisher.route("/moved.xml", status=301, headers={"Location": location})

    with pytest.raises(BlockedAddressError) as caught:
        fetch(other_publisher.url("/moved.xml"), allow_private=False, allow_networks=["127.0.0.2/32"])

    assert "Refused to connect" in str(caught.value)
    assert [host for host, _ in connect_attempts] == ["127.0.0.2"]
    assert publisher_server.connections == before
    assert publisher_server.requests == []
