import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.services import LOGIN_MAX_FAILURES
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_it_shows_the_sign_in_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'<label for="id_password"' in response.content


@pytest.mark.django_db
def test_it_signs_in_and_redirects_to_next(client):
    user = UserFactory()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": "/accounts/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_it_refuses_a_wrong_password(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_locks_out_after_ten_failures_even_with_the_right_password(client):
    user = UserFactory()
    for _ in range(LOGIN_MAX_FAILURES):
        assert (
            client.post(reverse("login"), {"username": user.username, "password": "wrong"}).status_code == 200
        )

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts. Please wait 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_lets_the_user_in_again_after_fifteen_minutes(client, time_machine):
    time_machine.move_to("2025-01-01 12:00:00+00:00", tick=False)
    user = UserFactory()
    for _ in range(LOGIN_MAX_FAILURES):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    time_machine.move_to("2025-01-01 12:15:01+00:00", tick=False)

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302


@pytest.mark.django_db
def test_it_counts_failures_per_address_and_name(client):
    victim, other = UserFactory(), UserFactory()
    for _ in range(LOGIN_MAX_FAILURES):
        client.post(reverse("login"), {"username": victim.username, "password": "wrong"})

    # Another name from the same address, and the same name from another address, still get in.
    assert (
        client.post(reverse("login"), {"username": other.username, "password": PASSWORD}).status_code == 302
    )
    client.logout()
    response = client.post(
        reverse("login"), {"username": victim.username, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_it_forgets_failures_after_a_successful_sign_in(client):
    user = UserFactory()
    for _ in range(LOGIN_MAX_FAILURES - 1):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    client.logout()

    for _ in range(LOGIN_MAX_FAILURES - 1):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_it_treats_the_user_name_case_insensitively_for_the_limit(client):
    user = UserFactory(username="alice")
    for i in range(LOGIN_MAX_FAILURES):
        name = "ALICE" if i % 2 else "alice"
        client.post(reverse("login"), {"username": name, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.django_db
def test_it_sends_a_signed_in_user_away_from_the_form(client):
    client.force_login(UserFactory())
    response = client.get(reverse("login"))
    assert response.status_code == 302
