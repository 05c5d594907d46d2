import pytest

pytest_plugins = ["tests.publisher_server"]


@pytest.fixture(autouse=True)
def _allow_private_fetches(settings):
    """The simulated publishers live on loopback; tests of the refusal turn this off again."""
    settings.FETCH_ALLOW_PRIVATE = True
