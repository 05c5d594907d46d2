import pytest

pytest_plugins = ["tests.publisher_server"]


@pytest.fixture(autouse=True)
def _allow_private_fetches(settings):
    """The simulated publishers live on loopback; tests of the refusal turn this off again."""
    settings.FETCH_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Factories hash a password per user; the real hasher makes that the slowest part of many tests.
    Not in integration tests: their servers run in other processes, with the real hashers."""
    if request.node.get_closest_marker("integration") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is shared by processes (files or Redis): no test sees another's rate limits or progress."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader(db):
    """A signed-up user: the one whose river, lists and follows a test looks at."""
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def signed_in(client, reader):
    """The test client, signed in as `reader`."""
    client.force_login(reader)
    return client
