"""A photo that cannot be stored: the submission fails whole, and its retry completes it.

Deterministic: a FILE stands where today's date folder under the photo root should be.
"""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.reliability.harness import fail_item, repair, start_walk


@pytest.fixture
def blocked_folder(instance):
    """Put files where today's (and in 5 minutes') date folders go; yield fix(), which undoes it."""
    blocks = []
    now = datetime.now(UTC)
    for day in {f"{d:%Y/%m/%d}" for d in (now, now + timedelta(minutes=5))}:
        path = instance.photo_root / day
        aside = path.with_name(path.name + ".aside")
        if path.is_dir():  # photos stored today by another test: keep them aside meanwhile
            path.rename(aside)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not a folder")
        blocks.append((path, aside))

    def fix():
        for path, aside in blocks:
            if path.is_file():
                path.unlink()
            if aside.is_dir():
                if path.is_dir():
                    for f in aside.iterdir():
                        f.rename(path / f.name)
                    aside.rmdir()
                else:
                    aside.rename(path)

    yield fix
    fix()


def test_a_repair_whose_photo_cannot_be_stored_leaves_nothing_and_its_retry_completes(instance, desk,
                                                                                        blocked_folder):
    key = uuid.uuid4()
    client = desk.client()
    first = repair(client, key, photos=2)
    assert first.status_code >= 500
    assert instance.scalar("SELECT count(*) FROM cases WHERE client_uuid = %s", (key.hex,)) == 0

    blocked_folder()
    again = repair(client, key, photos=2)
    assert again.status_code == 303
    case_id = instance.scalar("SELECT id FROM cases WHERE client_uuid = %s", (key.hex,))
    assert instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"case:{case_id}",)) == 2
    assert instance.scalar("SELECT count(*) FROM duty WHERE subject = %s", (f"case:{case_id}",)) > 0


def test_a_failed_item_whose_photo_cannot_be_stored_completes_on_retry(instance, manager, blocked_folder):
    client = manager.client()
    round_id, item_id = start_walk(instance, client)
    key = uuid.uuid4()
    first = fail_item(client, round_id, item_id, key)
    assert first.status_code >= 500
    assert instance.scalar("SELECT count(*) FROM item_result WHERE round_id = %s AND item_id = %s",
                           (round_id, item_id)) == 0

    blocked_folder()
    again = fail_item(client, round_id, item_id, key)
    assert again.status_code == 303
    result_id, case_id = instance.sql("SELECT id, case_id FROM item_result WHERE round_id = %s AND item_id = %s",
                                      (round_id, item_id))[0]
    assert case_id is not None, "the failed item's case was never opened"
    assert instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"result:{result_id}",)) == 1
    assert instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"case:{case_id}",)) == 1
