import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.mark.django_db
def test_it_changes_the_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another fine passphrase",
            "new_password2": "another fine passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("another fine passphrase")


@pytest.mark.django_db
def test_it_needs_the_old_password_to_change_it(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "another fine passphrase",
            "new_password2": "another fine passphrase",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_it_resets_a_forgotten_password_by_email(client):
    user = UserFactory(email="reader@example.org")
    response = client.post(reverse("password_reset"), {"email": "reader@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+)", mail.outbox[0].body).group(1)

    # Django redirects to a token-less URL, then shows the form there.
    response = client.get(link, follow=True)
    assert response.context["validlink"] is True
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a brand new secret", "new_password2": "a brand new secret"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new secret")


@pytest.mark.django_db
def test_it_says_the_same_thing_for_an_unknown_address(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_it_refuses_a_bad_reset_link(client):
    response = client.get("/accounts/password/reset/MQ/set-password/", follow=True)
    assert b"This link no longer works" in response.content
