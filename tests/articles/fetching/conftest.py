import ipaddress
import socket

import anyio
import pytest

from tests.publisher_server import PublisherServer


@pytest.fixture(autouse=True)
def connect_attempts(monkeypatch):
    """Every TCP connection the fetcher opens, as (address, port); anything off loopback fails the test.

    The fetcher connects to an address it has already vetted, so the address is always an IP literal.
    The guard also keeps a regression from ever sending a packet to a private or metadata address.
    """
    attempts: list[tuple[str, int]] = []
    real_sync, real_async = socket.create_connection, anyio.connect_tcp

    def check(host: str, port: int) -> None:
        attempts.append((str(host), int(port)))
        if not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            raise AssertionError(f"the fetcher tried to connect to {host}:{port}")

    def guarded_sync(address, *args, **kwargs):
        check(*address[:2])
        return real_sync(address, *args, **kwargs)

    async def guarded_async(remote_host, remote_port, *args, **kwargs):
        check(remote_host, remote_port)
        return await real_async(remote_host, remote_port, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded_sync)
    monkeypatch.setattr(anyio, "connect_tcp", guarded_async)
    return attempts


@pytest.fixture
def other_publisher():
    """A second publisher on 127.0.0.2: tests let that one address through with allow_networks, so it
    plays a public site while 127.0.0.1 stays forbidden."""
    with PublisherServer("127.0.0.2") as server:
        yield server
