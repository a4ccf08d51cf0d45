"""WSGI entry point: `flask --app app run`, `gunicorn app:app`."""
from bluebird import create_app

app = create_app()
