import httpx

from articles.fetching.addresses import AddressPolicy
from articles.fetching.transport import GuardedTransport


def _client(max_pools):
    transport = GuardedTransport(
        policy=AddressPolicy(allow_private=True),
        resolver=lambda host, port: ["127.0.0.1"],
        verify=True,
        max_per_host=2,
        keepalive_expiry=30,
        max_pools=max_pools,
    )
    return httpx.Client(transport=transport)


def test_it_keeps_a_connection_per_publisher(publisher_server):
    before = publisher_server.connections

    with _client(max_pools=10) as client:
        for host in ["a.test", "b.test", "c.test", "a.test", "b.test"]:
            assert client.get(f"http://{host}:{publisher_server.port}/feeds/news.xml").status_code == 200

    assert publisher_server.connections - before == 3


def test_it_closes_the_idle_pools_of_publishers_not_seen_lately(publisher_server):
    before = publisher_server.connections

    with _client(max_pools=2) as client:
        for host in ["a.test", "b.test", "c.test", "a.test"]:
            assert client.get(f"http://{host}:{publisher_server.port}/feeds/news.xml").status_code == 200

    assert publisher_server.connections - before == 4
    assert [r.headers["Host"].split(":")[0] for r in publisher_server.requests] == [
        "a.test",
        "b.test",
        "c.test",
        "a.test",
    ]
