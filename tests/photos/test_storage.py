"""Unit tests of the local photo storage."""

import os
import re
from datetime import UTC, datetime

import pytest

from bluebird.photos.storage import LocalStorage, Storage, new_key

KEY = re.compile(r"\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.jpg")


def leftovers(root):
    """List temp files anywhere under root."""
    return [p for p in root.rglob("*") if p.name.startswith(".tmp-")]


def test_local_storage_is_a_storage(tmp_path):
    assert isinstance(LocalStorage(tmp_path), Storage)


def test_keys_are_sharded_by_date_and_unguessable():
    when = datetime(2024, 5, 1, 23, 59, tzinfo=UTC)
    keys = {new_key("jpg", now=when) for _ in range(500)}
    assert len(keys) == 500
    for key in keys:
        assert KEY.fullmatch(key) and key.startswith("2024/05/01/")
    assert KEY.fullmatch(new_key())
    assert new_key("webp").endswith(".webp")


@pytest.mark.parametrize("ext", ["", "JPG", "jp/g", "../x", "jpeg.exe", ".jpg"])
def test_new_key_refuses_odd_extensions(ext):
    with pytest.raises(ValueError):
        new_key(ext)


def test_put_then_open_round_trips_atomically(tmp_path):
    store = LocalStorage(tmp_path / "photos")
    key = store.new_key("jpg", now=datetime(2024, 5, 1, tzinfo=UTC))
    store.put(key, b"\xff\xd8\xffdata", "image/jpeg")
    path = store.path_for(key)
    assert path == (tmp_path / "photos" / key).resolve()
    assert path.parent.relative_to(tmp_path / "photos").as_posix() == "2024/05/01"
    with store.open(key) as f:
        assert f.read() == b"\xff\xd8\xffdata"
    assert leftovers(tmp_path) == []


def test_put_never_overwrites_evidence(tmp_path):
    store = LocalStorage(tmp_path)
    key = store.new_key()
    store.put(key, b"first", "image/jpeg")
    with pytest.raises(FileExistsError):
        store.put(key, b"second", "image/jpeg")
    assert store.path_for(key).read_bytes() == b"first"


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)
    key = store.new_key()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(key, b"data", "image/jpeg")
    assert not store.path_for(key).exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        "/etc/passwd",
        "2024/05/01/../../../x.jpg",
        "2024/05/01/" + "A" * 32 + ".jpg",
        "2024/05/01/" + "a" * 31 + ".jpg",
        "2024\\05\\01\\" + "a" * 32 + ".jpg",
        "2024/05/01/" + "a" * 32 + ".jpg/../../x",
        "2024/05/01/" + "a" * 32 + ".jpg\n",
        None,
    ],
)
def test_keys_that_new_key_cannot_make_are_refused(tmp_path, key):
    store = LocalStorage(tmp_path)
    for call in (store.open, store.path_for, lambda k: store.put(k, b"x", "image/jpeg")):
        with pytest.raises(ValueError):
            call(key)


def test_open_of_an_unknown_key_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalStorage(tmp_path).open(new_key())
