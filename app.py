"""WSGI entry point: `flask --app app run` (what `make run` starts), `gunicorn app:app`."""
import gc

from bluebird import create_app

app = create_app()

# What is loaded now (modules, templates, the app) lives as long as the process: freeze it
# so the collector's full passes skip it. Without this, a full collection walks it about
# every 200 requests and that request waits 40-50 ms. gunicorn imports this module in each
# worker after the fork (no preload), so this runs there too; gunicorn.conf.py's
# post_worker_init freezes again once the worker is up.
gc.collect()
gc.freeze()
