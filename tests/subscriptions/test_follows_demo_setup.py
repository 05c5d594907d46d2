from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles.models import Article, Feed, Publisher
from subscriptions.models import Subscription


@pytest.mark.django_db
def test_it_sets_up_a_demo_account_following_simulated_publishers():
    out = StringIO()
    call_command("demo_setup", "--port", "0", "--once", stdout=out)

    output = out.getvalue()
    assert "user name: demo" in output
    password = output.split("password:")[1].split()[0]
    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password(password)
    assert Publisher.objects.filter(in_catalogue=True).count() == 12
    assert Subscription.objects.filter(user=demo).count() == 9
    assert Subscription.objects.filter(user=demo, folder__name="Business").exists()
    assert Article.objects.count() >= 9 * 8 * 0.9  # the feeds were refreshed once
    assert "12 publishers in the directory" in output and "failed" not in output


@pytest.mark.django_db
def test_it_finds_the_same_account_again():
    call_command("demo_setup", "--port", "0", "--once", stdout=StringIO())
    call_command("demo_setup", "--port", "0", "--once", stdout=StringIO())
    assert get_user_model().objects.filter(username="demo").count() == 1


@pytest.mark.django_db
def test_it_needs_private_fetches_allowed(settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="FETCH_ALLOW_PRIVATE=1"):
        call_command("demo_setup", "--port", "0", "--once", stdout=StringIO())


@pytest.mark.django_db
def test_it_moves_the_demo_feeds_when_the_port_changes():
    call_command("demo_setup", "--port", "0", "--once", stdout=StringIO())
    first_urls = set(Feed.objects.values_list("url", flat=True))
    call_command("demo_setup", "--port", "0", "--once", stdout=StringIO())
    assert Feed.objects.count() == 12
    assert set(Feed.objects.values_list("url", flat=True)) != first_urls
    assert Subscription.objects.filter(user__username="demo").count() == 9
