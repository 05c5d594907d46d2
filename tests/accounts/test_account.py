import pytest
from django.urls import reverse

from accounts.panels import _panels, account_panel_register
from tests.factories import UserFactory


@pytest.mark.django_db
def test_it_shows_the_account_page(client):
    user = UserFactory(username="alice", email="alice@example.org")
    client.force_login(user)
    response = client.get(reverse("account"))
    assert response.status_code == 200
    assert b"alice@example.org" in response.content
    assert reverse("password_change").encode() in response.content
    assert reverse("logout").encode() in response.content


@pytest.mark.django_db
def test_it_renders_panels_other_apps_register(client, tmp_path, settings):
    (tmp_path / "panel.html").write_text("<section>API password for {{ panel.who }}</section>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]},
    ]
    account_panel_register(template="panel.html", context=lambda request: {"who": request.user.username})
    try:
        client.force_login(UserFactory(username="bob"))
        response = client.get(reverse("account"))
    finally:
        _panels.pop("panel.html")
    assert b"API password for bob" in response.content
