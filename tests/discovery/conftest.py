import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_top_stories(db):
    """Top stories live in the shared cache (Redis on the Postgres run): no test sees another's."""
    from discovery.selectors import top_stories_invalidate

    top_stories_invalidate()
    yield
    cache.delete("discovery:top-stories:lock")
