"""The API password panel of the account page: the addresses to paste, set, change and revoke."""

import pytest
from django.urls import reverse

from compat.models import ApiPassword
from compat.services import api_password_set
from tests.compat.conftest import API_PASSWORD, GREADER, fever_key
from tests.factories import UserFactory

SET = "/api/password/"
REVOKE = "/api/password/revoke/"


@pytest.fixture
def member(db, client):
    user = UserFactory(username="dora", email="dora@example.org")
    client.force_login(user)
    return user


def _login_status(client, password: str, name: str = "dora") -> int:
    return client.post(f"{GREADER}/accounts/ClientLogin", {"Email": name, "Passwd": password}).status_code


def test_the_account_page_shows_the_addresses_to_paste(client, member):
    page = client.get(reverse("account")).content.decode()
    assert 'id="api-password"' in page
    assert 'value="http://testserver/api/greader"' in page
    assert 'value="http://testserver/api/fever/"' in page
    assert "No API password yet" in page
    assert f'action="{SET}"' in page and REVOKE not in page


def test_setting_an_api_password_lets_apps_sign_in_with_it(client, member):
    response = client.post(SET, {"password1": API_PASSWORD, "password2": API_PASSWORD})
    assert response.status_code == 302 and response["Location"].endswith("/accounts/#api-password")
    page = client.get(reverse("account")).content.decode()
    assert "API password saved" in page and "API password set" in page and f'action="{REVOKE}"' in page
    assert _login_status(client, API_PASSWORD) == 200
    assert _login_status(client, API_PASSWORD, name="dora@example.org") == 200
    fever = client.post("/api/fever/?api", {"api_key": fever_key("dora@example.org")}).json()
    assert fever["auth"] == 1
    assert ApiPassword.objects.get(user=member).password != API_PASSWORD  # hashed


def test_the_api_password_is_stored_only_as_hashes(member):
    credential = api_password_set(user=member, password=API_PASSWORD)
    stored = " ".join(str(v) for v in ApiPassword.objects.filter(pk=credential.pk).values().first().values())
    assert API_PASSWORD not in stored and fever_key("dora") not in stored


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("app-password-1234", "app-password-9999", "The two passwords differ."),
        ("short", "short", "too short"),
        (
            "correct horse battery staple",
            "correct horse battery staple",
            "different from the password you sign in",
        ),
        (" padded-password ", " padded-password ", "cannot start or end with a space"),
        ("", "", "required"),
    ],
)
def test_a_bad_api_password_is_refused_with_a_message(client, member, password1, password2, message):
    response = client.post(SET, {"password1": password1, "password2": password2}, follow=True)
    assert message in response.content.decode()
    assert not ApiPassword.objects.filter(user=member).exists()


def test_changing_it_signs_apps_out_of_the_old_one(client, member):
    client.post(SET, {"password1": API_PASSWORD, "password2": API_PASSWORD})
    client.post(SET, {"password1": "another-app-pass-77", "password2": "another-app-pass-77"})
    assert _login_status(client, API_PASSWORD) == 401
    assert _login_status(client, "another-app-pass-77") == 200


def test_revoking_it_signs_every_app_out(client, member):
    client.post(SET, {"password1": API_PASSWORD, "password2": API_PASSWORD})
    response = client.post(REVOKE)
    assert response.status_code == 302
    assert not ApiPassword.objects.filter(user=member).exists()
    assert _login_status(client, API_PASSWORD) == 401
    assert client.post("/api/fever/?api", {"api_key": fever_key("dora")}).json()["auth"] == 0
    assert "API password revoked" in client.get(reverse("account")).content.decode()


def test_the_forms_need_a_signed_in_user_and_post(client, db):
    UserFactory(username="eve")
    assert client.post(SET, {"password1": API_PASSWORD, "password2": API_PASSWORD}).status_code == 302
    assert not ApiPassword.objects.exists()
    client.force_login(UserFactory(username="frank"))
    assert client.get(SET).status_code == 405
    assert client.get(REVOKE).status_code == 405


def test_the_forms_are_protected_against_cross_site_posts(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(SET, {"password1": API_PASSWORD, "password2": API_PASSWORD}).status_code == 403
    assert not ApiPassword.objects.filter(user=member).exists()


def test_two_accounts_sharing_an_email_and_api_password_keep_fever_to_user_names(db):
    one = UserFactory(username="twin1", email="twins@example.org")
    two = UserFactory(username="twin2", email="twins@example.org")
    api_password_set(user=one, password=API_PASSWORD)
    second = api_password_set(user=two, password=API_PASSWORD)
    assert second.fever_email_key == ""  # the e-mail key would be ambiguous
    from compat.selectors import fever_user_for_key

    assert fever_user_for_key(api_key=fever_key("twins@example.org")) == one
    assert fever_user_for_key(api_key=fever_key("twin2")) == two
