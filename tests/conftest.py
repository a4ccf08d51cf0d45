"""Fixtures are gathered from tests/fixtures/ (FlaskBB/CTFd style)."""
pytest_plugins = ["tests.fixtures.app"]
