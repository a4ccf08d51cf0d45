"""The task queue and the periodic scheduler (huey).

SqliteHuey in instance/ on one box; Redis when BLUEBIRD_QUEUE_URL is set. Run exactly
one consumer with periodic tasks enabled (`make run` starts it next to the web server):
    huey_consumer bluebird.tasks.huey --workers 2
"""
import logging
import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

log = logging.getLogger("bluebird.tasks")


def _instance_path() -> Path:
    return Path(os.environ.get("BLUEBIRD_INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance")


def make_huey():
    """Build the queue from the environment."""
    url = os.environ.get("BLUEBIRD_QUEUE_URL")
    name = os.environ.get("BLUEBIRD_QUEUE_NAME", "bluebird")  # several offices on one Redis
    if url:
        return RedisHuey(name, url=url)
    path = _instance_path()
    path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path / "queue.db"))


huey = make_huey()
_app = None


def app():
    """The Flask app the consumer's tasks run in (made once per consumer process)."""
    global _app
    if _app is None:
        from bluebird import create_app

        _app = create_app()
    return _app


@huey.periodic_task(crontab(minute="*"))
def tick_every_minute():
    """Run the scheduler's tick inside the app, with a connection of its own."""
    from bluebird.db import db
    from bluebird.duties.scheduler import tick

    with app().app_context(), db.connection_context():
        done = tick()
    log.info("tick: %s", done)
    return done


_BACKUP_AT = os.environ.get("BLUEBIRD_BACKUP_TIME_UTC", "19:30").split(":")  # 03:30 in Shanghai


@huey.periodic_task(crontab(hour=_BACKUP_AT[0], minute=_BACKUP_AT[1]))
def nightly_backup():
    """Back up the database and photos into BLUEBIRD_BACKUP_DIR, then rotate (14 daily, 12 monthly)."""
    from bluebird.backup.cli import nightly
    from bluebird.db import db

    with app().app_context(), db.connection_context():
        return nightly()


@huey.task()
def deliver_task(delivery_id, token):
    """Send one push or robot message; a slow or dead endpoint holds up only this task.

    A 429 or a 5xx (or a timeout) asks huey to run it again later (Retry-After, or an
    exponential backoff); notify.service.deliver keeps count and gives up in the end.
    """
    from bluebird.db import db
    from bluebird.notify.service import deliver

    with app().app_context(), db.connection_context():
        delay = deliver(delivery_id, token)
    if delay is not None:
        raise RetryTask(delay=delay)


@huey.periodic_task(crontab(hour="3", minute="40"))
def sweep_photos():
    """Once a day, remove photo files no row owns (older than the grace period)."""
    from bluebird.db import db
    from bluebird.photos.service import storage
    from bluebird.photos.sweep import sweep

    with app().app_context(), db.connection_context():
        counts = sweep(storage().root)
    log.info("photo sweep: %s", counts)
    return counts
