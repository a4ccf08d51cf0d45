"""gunicorn settings per database: `gunicorn -c gunicorn.conf.py app:app` (README "Deployment").

SQLite has one writer at a time. Bluebird queues writers fairly (bluebird/writegate.py),
so more workers only add processes fighting for the same lock and memory: two worker
processes of four threads each keep a 2-core box busy, and 32 writers at once still
answer within 2 s (bench/reliability.py, `writers32_p99_ms`). PostgreSQL takes writers
side by side: (2 x cores) + 1 workers.

Measured with bench/http.py (90 % reads, 10 % case registrations, wrk with 8 connections,
2 cores): on SQLite 2 x 4 gave the most throughput of 1x8, 2x4, 2x8, 3x4, 4x2 and 4x4, all
with 0 errors; on PostgreSQL 4 workers answered with 0 errors (README "Deployment").

Every setting can be overridden on the command line (`-w`, `--threads`, `-b`) or by
BLUEBIRD_WEB_WORKERS, BLUEBIRD_WEB_THREADS and BLUEBIRD_BIND.
"""
import gc
import multiprocessing
import os

_postgres = os.environ.get("BLUEBIRD_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
_cores = multiprocessing.cpu_count()

bind = os.environ.get("BLUEBIRD_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("BLUEBIRD_WEB_WORKERS") or (2 * _cores + 1 if _postgres else 2))
threads = int(os.environ.get("BLUEBIRD_WEB_THREADS") or 4)
# A request that waits for the write lock gives up after BLUEBIRD_WRITE_WAIT_S (503 with
# Retry-After); the worker timeout stays well above it.
timeout = 60
graceful_timeout = 20
keepalive = 2
# A worker takes only the connections its threads can serve; the rest wait in the
# listen queue, which all workers share in arrival order (no worker hoards a backlog).
worker_connections = threads + 1

# Phones upload photos over slow links: nginx buffers the body (client_max_body_size 60m).
limit_request_line = 8190
accesslog = os.environ.get("BLUEBIRD_ACCESS_LOG") or None
errorlog = "-"
# gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two servers
# on one box (two offices, the test suite) would take it from each other. Not used.
control_socket_disable = True


def post_fork(server, worker):
    """Keep the limit above in step with --threads given on the command line; freeze
    what the fork inherited (gunicorn itself) out of the collector's full passes."""
    worker.worker_connections = worker.cfg.threads + 1
    gc.freeze()


def post_worker_init(worker):
    """The app is loaded now (post_fork runs before it, without preload_app): freeze it too.

    A full collection otherwise walks every module, template and route about every 200
    requests, and that request waits 40-50 ms; frozen, a full pass sees only new objects.
    """
    gc.collect()
    gc.freeze()
