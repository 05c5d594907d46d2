import ipaddress

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from articles.fetching import (
    BlockedAddressError,
    PermanentFetchError,
    address_block_reason,
    fetch,
    fetch_client,
)
from articles.fetching.addresses import AddressPolicy, vetted_addresses
from articles.fetching.exchange import check_url

BLOCKED_NETWORKS = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "3fff::/20", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32", "64:ff9b:1::/48",
]  # fmt: skip
PUBLIC_NETWORKS = ["8.8.0.0/16", "1.1.1.0/24", "93.184.0.0/16", "2606:4700::/32", "2a00:1450::/32"]


def addresses_in(networks):
    return st.sampled_from(networks).flatmap(lambda n: st.ip_addresses(network=n))


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:{port}/feeds/news.xml", "loopback"),
        ("http://127.5.6.7:{port}/", "loopback"),
        ("http://localhost:{port}/feeds/news.xml", "loopback"),
        ("http://[::1]:{port}/feeds/news.xml", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/feeds/news.xml", "loopback"),
        ("http://10.0.0.1/feed.xml", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0:{port}/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("http://[2002:7f00:1::]/", "loopback"),
    ],
)
def test_it_refuses_private_addresses_without_connecting(
    publisher_server, connect_attempts, settings, url, reason
):
    settings.FETCH_ALLOW_PRIVATE = False
    before = publisher_server.connections

    with pytest.raises(BlockedAddressError, match=reason):
        fetch(url.format(port=publisher_server.port))

    assert connect_attempts == []
    assert publisher_server.connections == before


def test_it_refuses_when_told_by_keyword_whatever_the_setting(publisher_server, connect_attempts):
    with pytest.raises(BlockedAddressError):
        fetch(publisher_server.url("/feeds/news.xml"), allow_private=False)

    assert connect_attempts == []


def test_it_connects_to_the_address_it_vetted_not_a_second_lookup(publisher_server, connect_attempts):
    lookups = []

    def rebinding_resolver(host, port):
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.9.9.9"]

    with fetch_client(resolver=rebinding_resolver) as client:
        url = f"http://feeds.rebind.test:{publisher_server.port}/feeds/news.xml"
        result = fetch(url, client=client, allow_private=True)

    # The system resolver knows nothing of rebind.test: the socket went to the address we resolved.
    assert result.status == 200
    assert lookups == ["feeds.rebind.test"]
    assert connect_attempts == [("127.0.0.1", publisher_server.port)]
    assert publisher_server.requests[-1].headers["Host"] == f"feeds.rebind.test:{publisher_server.port}"


def test_it_vets_each_new_connection_again(publisher_server, connect_attempts):
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    policy = {"allow_private": False, "allow_networks": ["127.0.0.1/32"]}
    url = f"http://flipper.test:{publisher_server.port}/feeds/news.xml"

    with fetch_client(resolver=lambda host, port: next(answers)) as client:
        assert fetch(url, client=client, **policy).status == 200
    with fetch_client(resolver=lambda host, port: next(answers)) as client:
        with pytest.raises(BlockedAddressError, match="flipper.test \\(10.0.0.7\\)"):
            fetch(url, client=client, **policy)

    assert connect_attempts == [("127.0.0.1", publisher_server.port)]


def test_it_refuses_a_host_with_any_private_address(connect_attempts):
    with fetch_client(resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"]) as client:
        with pytest.raises(BlockedAddressError, match="loopback"):
            fetch("https://mixed.test/feed.xml", client=client, allow_private=False)

    assert connect_attempts == []


def test_it_does_not_lend_a_permissive_connection_to_a_strict_fetch(publisher_server, connect_attempts):
    url = publisher_server.url("/feeds/news.xml")

    with fetch_client() as client:
        assert fetch(url, client=client, allow_private=True).status == 200
        with pytest.raises(BlockedAddressError):
            fetch(url, client=client, allow_private=False)

    assert len(connect_attempts) == 1


def test_it_refuses_a_client_made_elsewhere(publisher_server):
    with httpx.Client() as client, pytest.raises(TypeError, match="fetch_client"):
        fetch(publisher_server.url("/feeds/news.xml"), client=client)


def test_it_refuses_a_name_that_does_not_resolve(connect_attempts):
    def nxdomain(host, port):
        raise OSError(-2, "Name or service not known")

    with fetch_client(resolver=nxdomain) as client:
        with pytest.raises(Exception, match="Could not connect"):
            fetch("http://no-such-host.test/feed.xml", client=client)

    assert connect_attempts == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/feed.xml", "javascript:alert(1)", "data:text/xml,<rss/>",
     "gopher://example.org/", "mailto:news@example.org", "example.org/feed.xml", "http:///feed.xml", "", "http://[::1"],
)  # fmt: skip
def test_it_refuses_what_is_not_an_http_url(connect_attempts, url):
    with pytest.raises(PermanentFetchError) as caught:
        fetch(url)

    assert not isinstance(caught.value, BlockedAddressError)
    assert str(caught.value).endswith(".")
    assert connect_attempts == []


@given(addresses_in(BLOCKED_NETWORKS))
def test_it_blocks_every_address_of_the_special_networks(ip):
    assert address_block_reason(ip) is not None


@given(addresses_in(PUBLIC_NETWORKS))
def test_it_allows_public_addresses(ip):
    assert address_block_reason(ip) is None


@given(st.ip_addresses(v=4))
def test_it_judges_an_ipv4_mapped_address_like_the_ipv4_address(ip):
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}")

    assert address_block_reason(mapped) == address_block_reason(ip)


@given(st.ip_addresses(v=4))
def test_it_judges_a_nat64_address_like_the_ipv4_address_it_leads_to(ip):
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(ip))

    assert address_block_reason(nat64) == address_block_reason(ip)


@given(addresses_in(BLOCKED_NETWORKS[:12]))
def test_it_blocks_6to4_addresses_of_blocked_ipv4(ip):
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(ip) << 80))

    assert address_block_reason(sixtofour) is not None


@given(st.lists(st.ip_addresses(), min_size=1, max_size=4))
def test_it_vets_all_or_nothing(addresses):
    policy = AddressPolicy()
    texts = [str(a) for a in addresses]

    if any(address_block_reason(a) for a in addresses):
        with pytest.raises(BlockedAddressError):
            vetted_addresses("host.test", texts, policy)
    else:
        assert vetted_addresses("host.test", texts, policy) == texts


@given(st.ip_addresses())
def test_it_lets_everything_through_when_private_addresses_are_allowed(ip):
    assert vetted_addresses("host.test", [str(ip)], AddressPolicy(allow_private=True)) == [str(ip)]


@given(st.text(max_size=80))
def test_it_judges_any_string_as_a_url_without_crashing(text):
    try:
        url = check_url(text, AddressPolicy())
    except PermanentFetchError:
        return
    assert url.scheme in ("http", "https") and url.host


def test_it_says_which_url_was_refused(connect_attempts):
    with fetch_client(resolver=lambda host, port: ["10.1.1.1"]) as client:
        with pytest.raises(BlockedAddressError) as caught:
            fetch("http://intranet.test/feed.xml", client=client, allow_private=False)

    assert caught.value.url == "http://intranet.test/feed.xml"
    assert caught.value.status is None
