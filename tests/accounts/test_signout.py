import pytest
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
def test_it_signs_out_on_post(client):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_does_not_sign_out_on_get(client):
    client.force_login(UserFactory())
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert "_auth_user_id" in client.session
