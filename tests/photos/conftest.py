"""Photo unit tests are pure: no app, no database."""

import pytest


@pytest.fixture
def clean():
    """Shadow the project's autouse database reset, so these tests never build the app."""
    yield
