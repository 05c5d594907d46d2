import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
def test_it_creates_an_account_and_signs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newreader",
            "email": "",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("articles:publisher-directory")
    user = get_user_model().objects.get(username="newreader")
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_it_refuses_mismatched_passwords(client):
    response = client.post(
        reverse("signup"),
        {"username": "newreader", "password1": "a long new passphrase", "password2": "something else"},
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="newreader").exists()
    assert b"password fields didn" in response.content


@pytest.mark.django_db
def test_it_refuses_a_taken_name_whatever_its_case(client):
    UserFactory(username="alice")
    response = client.post(
        reverse("signup"),
        {"username": "Alice", "password1": "a long new passphrase", "password2": "a long new passphrase"},
    )
    assert response.status_code == 200
    assert b"That name is taken" in response.content
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_it_can_be_turned_off(client, settings):
    settings.SIGNUP_ENABLED = False
    assert client.get(reverse("signup")).status_code == 403
    response = client.post(
        reverse("signup"),
        {"username": "newreader", "password1": "a long new passphrase", "password2": "a long new passphrase"},
    )
    assert response.status_code == 403
    assert b"not being accepted" in response.content
    assert not get_user_model().objects.filter(username="newreader").exists()


@pytest.mark.django_db
def test_it_hides_the_sign_up_link_when_turned_off(client, settings):
    assert reverse("signup").encode() in client.get(reverse("login")).content
    settings.SIGNUP_ENABLED = False
    assert reverse("signup").encode() not in client.get(reverse("login")).content
