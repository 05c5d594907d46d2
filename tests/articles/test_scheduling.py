from datetime import timedelta

from django.utils import timezone

from articles.models import Feed
from articles.services import feed_backoff_seconds, feed_schedule_next_check

NOW = timezone.now()


def schedule(dates, **kwargs):
    return feed_schedule_next_check(feed=Feed(), now=NOW, item_dates=dates, **kwargs)


def test_it_checks_a_busy_feed_every_five_minutes():
    dates = [NOW - timedelta(minutes=i) for i in range(50)]
    assert schedule(dates) == 5 * 60


def test_it_checks_a_feed_at_the_pace_it_publishes():
    dates = [NOW - timedelta(hours=2 * i) for i in range(20)]
    assert schedule(dates) == 2 * 60 * 60


def test_it_slows_down_for_a_feed_gone_quiet():
    dates = [NOW - timedelta(hours=10, minutes=i) for i in range(20)]
    assert schedule(dates) == 5 * 60 * 60


def test_it_checks_a_daily_feed_once_a_day():
    dates = [NOW - timedelta(days=i) for i in range(7)]
    assert schedule(dates) == 24 * 60 * 60


def test_it_checks_a_silent_feed_once_a_day():
    assert schedule([NOW - timedelta(days=30)]) == 24 * 60 * 60
    assert schedule([]) == 24 * 60 * 60


def test_it_honours_ttl_and_max_age_but_not_beyond_a_day():
    busy = [NOW - timedelta(minutes=i) for i in range(100)]
    assert schedule(busy, ttl_seconds=3600) == 3600
    assert schedule(busy, max_age=1800) == 1800
    assert schedule(busy, ttl_seconds=7 * 24 * 3600) == 24 * 60 * 60


def test_it_backs_off_exponentially_up_to_a_day():
    waits = [feed_backoff_seconds(error_count=n) for n in range(1, 12)]
    assert waits == sorted(waits)
    assert waits[0] == 600
    assert waits[-1] == 24 * 60 * 60


def test_it_waits_at_least_as_long_as_retry_after():
    assert feed_backoff_seconds(error_count=1, retry_after=7200) == 7200
    assert feed_backoff_seconds(error_count=1, retry_after=10) == 600
    assert feed_backoff_seconds(error_count=1, retry_after=10**9) == 24 * 60 * 60
