import pytest
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account", "password_change"])
def test_it_sends_anonymous_visitors_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.django_db
def test_it_redirects_htmx_requests_as_a_whole_page(client):
    response = client.post("/accounts/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/password/reset/complete/",
    ],
)
def test_it_lets_anyone_reach_the_pages_that_sign_in(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/nothing-here", "/lists/feed/not-a-secret/", "/healthz"])
def test_it_leaves_other_authentication_to_the_api_and_feeds(client, path):
    # Whatever these answer (they may not exist yet), it is not a redirect to the sign-in page.
    response = client.get(path)
    assert not (response.status_code == 302 and response["Location"].startswith(reverse("login")))


@pytest.mark.django_db
def test_it_lets_a_signed_in_user_through(client):
    client.force_login(UserFactory())
    assert client.get(reverse("account")).status_code == 200
