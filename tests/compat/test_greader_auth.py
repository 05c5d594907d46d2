"""Signing in to the Google Reader API: ClientLogin, tokens, the header or `T`, throttling, revocation."""

import pytest

from compat.services import api_password_revoke, api_password_set
from subscriptions.models import ReadState
from tests.compat.conftest import API_PASSWORD, GREADER, GReader, login

# Every endpoint, with the method a client uses: a wrong token must get 401 from each.
ENDPOINTS = [
    ("get", "token"),
    ("get", "user-info"),
    ("get", "subscription/list"),
    ("post", "subscription/edit"),
    ("post", "subscription/quickadd"),
    ("get", "tag/list"),
    ("get", "unread-count"),
    ("get", "stream/items/ids"),
    ("post", "stream/items/contents"),
    ("get", "stream/contents/feed%2F1"),
    ("get", "stream/contents/user/-/state/com.google/reading-list"),
    ("post", "edit-tag"),
    ("post", "mark-all-as-read"),
    ("post", "rename-tag"),
    ("post", "disable-tag"),
    ("get", "preference/stream/list"),  # one we do not implement
]


def _lines(response) -> dict:
    return dict(line.split("=", 1) for line in response.content.decode().splitlines())


def test_it_answers_client_login_in_plain_text_lines(client, alice):
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = _lines(response)
    assert list(lines) == ["SID", "LSID", "Auth"]
    assert lines["Auth"].startswith("alice/") and lines["SID"] == lines["Auth"]


def test_it_answers_client_login_in_json_when_asked(client, alice):
    response = client.post(
        f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD, "output": "json"}
    )
    assert set(response.json()) == {"SID", "LSID", "Auth"}


def test_it_ignores_the_noise_clients_send_with_client_login(client, alice):
    # Liferea's request, with its service, source and continue.
    form = {
        "service": "reader",
        "Email": "alice",
        "Passwd": API_PASSWORD,
        "source": "liferea",
        "continue": "http://127.0.0.1:8765/api/greader.php",
        "accountType": "HOSTED_OR_GOOGLE",
    }
    response = client.post(f"{GREADER}/accounts/ClientLogin?client=x", form)
    assert response.status_code == 200 and "Auth" in _lines(response)


def test_it_signs_in_with_the_email_address_too(client, alice):
    assert login(client, "alice@example.org") == login(client, "alice")


def test_the_same_password_gives_the_same_token_every_time(client, alice):
    # RSS Guard signs in on every start and does not keep the token.
    assert login(client) == login(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice", "wrong"),
        ("alice", "correct horse battery staple"),  # the sign-in password is not the API password
        ("nobody", API_PASSWORD),
        ("", ""),
    ],
)
def test_it_refuses_wrong_credentials_with_401_and_no_token(client, alice, email, password):
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": email, "Passwd": password})
    assert response.status_code == 401
    assert b"Auth=" not in response.content and b"alice/" not in response.content


def test_a_user_without_an_api_password_cannot_sign_in(client, alice):
    api_password_revoke(user=alice.user)
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD})
    assert response.status_code == 401


def test_client_login_is_post_only(client, alice):
    response = client.get(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD})
    assert response.status_code == 405


def test_it_stops_checking_passwords_after_ten_failures(client, alice):
    for _ in range(10):
        response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": "guess"})
        assert response.status_code == 401
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Auth=" not in response.content


def test_a_success_clears_the_failures(client, alice):
    for _ in range(9):
        client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": "guess"})
    login(client)
    for _ in range(9):
        client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": "guess"})
    assert login(client)


def test_the_token_endpoint_gives_the_action_token(greader):
    response = greader.get("token")
    assert response.status_code == 200
    assert response.content.decode().strip() == greader.token


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "auth",
    [
        None,
        "GoogleLogin auth=alice/0000",
        "GoogleLogin auth=bob/{mac}",  # alice's MAC under bob's name
        "GoogleLogin auth=",
        "Bearer {token}",
    ],
)
def test_a_wrong_token_gets_401_and_nothing_else(client, alice, bob, greader, method, path, auth):
    headers = {}
    if auth is not None:
        mac = greader.token.rpartition("/")[2]
        headers["HTTP_AUTHORIZATION"] = auth.format(mac=mac, token=greader.token)
    data = {"i": str(alice.articles[0].pk), "a": "user/-/state/com.google/read", "s": "feed/1"}
    response = getattr(client, method)(f"{GREADER}/reader/api/0/{path}", data, **headers)
    assert response.status_code == 401
    assert response.content == b"Unauthorized"
    assert response["X-Reader-Google-Bad-Token"] == "true"
    assert not ReadState.objects.filter(user=alice.user, article=alice.articles[0]).exists()


def test_it_authenticates_by_t_in_the_form_without_a_header(client, alice, greader):
    # Liferea: POST stream/items/contents with only T=<Auth> in the body.
    response = client.post(
        f"{GREADER}/reader/api/0/stream/items/contents",
        {"output": "json", "mediaRss": "true", "T": greader.token, "i": [str(alice.articles[0].pk)]},
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_a_wrong_t_without_a_header_gets_401(client, alice):
    response = client.post(f"{GREADER}/reader/api/0/stream/items/contents", {"T": "alice/nope", "i": "1"})
    assert response.status_code == 401


@pytest.mark.parametrize("t", [None, "", "x"])
def test_writes_need_no_valid_t_when_the_header_authenticates(greader, alice, t):
    # RSS Guard never sends T; FeedMe sends T='' and Reeder T='x' (FreshRSS accepts both).
    data = {"i": str(alice.articles[0].pk), "a": "user/-/state/com.google/read"}
    if t is not None:
        data["T"] = t
    response = greader.post("edit-tag", data)
    assert response.status_code == 200 and response.content == b"OK"
    assert ReadState.objects.filter(user=alice.user, article=alice.articles[0]).exists()


def test_a_revoked_api_password_logs_every_app_out(greader, alice):
    assert greader.get("user-info").status_code == 200
    api_password_revoke(user=alice.user)
    assert greader.get("user-info").status_code == 401


def test_a_new_api_password_replaces_the_old_tokens(client, greader, alice):
    api_password_set(user=alice.user, password="a-brand-new-pass-99")
    assert greader.get("user-info").status_code == 401
    fresh = GReader(client, login(client, "alice", "a-brand-new-pass-99"))
    assert fresh.get("user-info").status_code == 200
    assert fresh.token != greader.token


def test_an_inactive_user_is_refused(client, greader, alice):
    alice.user.is_active = False
    alice.user.save()
    assert greader.get("user-info").status_code == 401
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD})
    assert response.status_code == 401


def test_the_freshrss_path_works_too(client, alice):
    token = login(client)
    response = client.get(
        "/api/greader.php/reader/api/0/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={token}"
    )
    assert response.json()["userName"] == "alice"
    response = client.post(
        "/api/greader.php/accounts/ClientLogin", {"Email": "alice", "Passwd": API_PASSWORD}
    )
    assert response.status_code == 200


def test_the_scheme_and_key_of_the_header_are_read_case_insensitively(client, greader):
    response = client.get(
        f"{GREADER}/reader/api/0/user-info", HTTP_AUTHORIZATION=f"googlelogin Auth={greader.token}"
    )
    assert response.status_code == 200
