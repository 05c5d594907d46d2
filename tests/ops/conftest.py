from pathlib import Path

import pytest


@pytest.fixture
def broker_ready(settings):
    """What a worker's start leaves behind: the file-system broker's folders (Redis needs nothing)."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
