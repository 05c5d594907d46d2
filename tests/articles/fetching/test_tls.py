"""HTTPS through a pinned address: the socket goes to the vetted IP, TLS still checks the host name."""

import ssl
import subprocess

import pytest

from articles.fetching import TransientFetchError, fetch, fetch_client
from tests.publisher_server import PublisherServer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=publisher.test",
         "-addext", "subjectAltName=DNS:publisher.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_publisher(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sslobj, name, ctx: names.append(name)
    with PublisherServer(tls=context, url_host="publisher.test") as server:
        server.sni_names = names
        yield server


def test_it_keeps_host_and_sni_while_connecting_to_the_vetted_address(
    tls_publisher, certificate, connect_attempts
):
    trust = ssl.create_default_context(cafile=str(certificate[0]))

    with fetch_client(resolver=lambda host, port: ["127.0.0.1"], verify=trust) as client:
        result = fetch(tls_publisher.url("/feeds/news.xml"), client=client)

    assert result.status == 200
    assert result.url.startswith("https://publisher.test:")
    assert b"https://publisher.test:" in result.content
    assert tls_publisher.sni_names == ["publisher.test"]
    assert tls_publisher.requests[-1].headers["Host"] == f"publisher.test:{tls_publisher.port}"
    assert connect_attempts == [("127.0.0.1", tls_publisher.port)]


def test_it_refuses_a_certificate_for_another_name(tls_publisher, certificate):
    trust = ssl.create_default_context(cafile=str(certificate[0]))

    with fetch_client(verify=trust) as client, pytest.raises(TransientFetchError, match="certificate"):
        fetch(f"https://127.0.0.1:{tls_publisher.port}/feeds/news.xml", client=client)
