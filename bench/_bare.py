"""The bare baseline page as a WSGI module, for gunicorn (bench/http.py starts it).

    gunicorn -c gunicorn.conf.py bench._bare:app

One Flask route rendering a cached Jinja template shaped like the agenda (BENCH_BARE_ROWS
rows, 100 by default): no database, no login, no Babel, no CSRF, no compression. It is
not a bench itself; running it does nothing.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.foundation import bare_app  # noqa: E402

app = bare_app(int(os.environ.get("BENCH_BARE_ROWS", "100")))
