"""Every corpus file through the real upload route, and the photo URLs' rules.

Hostile files get a 4xx with a clear Chinese message and leave nothing behind (no row,
no file); legitimate ones are stored as a watermarked display copy and a thumbnail.
"""
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from bluebird.photos.models import Attachment
from bluebird.timeline.models import Event
from tests import factories
from tests.fixtures.photos import make_corpus as corpus

FIXTURES = Path(corpus.__file__).resolve().parent
HOSTILE = [s for s in corpus.SAMPLES if s.expect != "ok"]
LEGIT = [s for s in corpus.SAMPLES if s.expect == "ok"]

# What the butler (whose language is Chinese) reads, and the status, per PhotoError code.
REFUSALS = {
    "truncated": (422, "照片不完整或已损坏，请重新拍摄或上传。"),
    "too_many_pixels": (422, "照片超过 50 百万像素。"),
    "bad_dimensions": (422, "图片太窄或太小，不像是一张照片。"),
    "not_image": (415, "该文件不是照片，请上传 JPEG、PNG、WebP 或 HEIC 图片。"),
    "empty": (400, "文件是空的。"),
    "too_large": (413, "照片超过 25 MB。"),  # PHOTO_MAX_BYTES: 25 MB by default
}
GPS_IFD = 0x8825


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory):
    """The committed small files, plus the big ones generated once per session."""
    big = tmp_path_factory.mktemp("photo-corpus")
    paths = {}
    for sample in corpus.SAMPLES:
        committed = FIXTURES / sample.name
        if not sample.big and committed.exists():
            paths[sample.name] = committed
        else:
            path = big / sample.name
            path.write_bytes(sample.build())
            paths[sample.name] = path
    return paths


@pytest.fixture
def case(estate, butler):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    return factories.make_case(unit, butler)


@pytest.fixture
def photo_root(app):
    """Where the app stores photos: PHOTO_ROOT, or <instance>/photos (the test's temp dir)."""
    return Path(app.config.get("PHOTO_ROOT") or Path(app.instance_path) / "photos")


def _files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload(client, case, *files):
    """POST files to the case's add-photos route, as the page's form does.

    The body is encoded in memory: for bodies over 500 KB the test client's own encoder
    spools to a temporary file it never closes (a ResourceWarning, an error here).
    """
    fields = [("photos", FileStorage(io.BytesIO(blob), filename=name)) for name, blob in files]
    fields.append(("csrf_token", client.token()))
    boundary, body = encode_multipart(MultiDict(fields))
    return client.http.post(f"/cases/{case.id}/photos", data=body,
                            content_type=f"multipart/form-data; boundary={boundary}")


def _status(client, url, **kwargs):
    """GET and close (send_file keeps the stored file open until the body is closed)."""
    response = client.get(url, **kwargs)
    response.close()
    return response


def _stored(photo_root, key):
    return photo_root / key


def _open(path):
    im = Image.open(path)
    im.load()
    return im


@pytest.mark.parametrize("sample", HOSTILE, ids=lambda s: s.name)
def test_a_hostile_file_is_refused_clearly_and_nothing_is_kept(butler_client, case, corpus_files, photo_root, sample):
    before = _files_under(photo_root)
    events = Event.select().count()
    response = _upload(butler_client, case, (sample.name, corpus_files[sample.name].read_bytes()))
    status, message = REFUSALS[sample.expect]
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:500]
    assert 400 <= response.status_code < 500
    assert message in page
    assert response.mimetype == "text/html"
    assert Attachment.select().count() == 0
    assert Event.select().count() == events  # no "photo(s) added" note either
    assert _files_under(photo_root) == before


@pytest.mark.parametrize("sample", LEGIT, ids=lambda s: s.name)
def test_a_legitimate_file_is_stored_clean_and_watermarked(butler_client, case, corpus_files, photo_root, butler,
                                                          sample):
    before = set(_files_under(photo_root))
    response = _upload(butler_client, case, (sample.name, corpus_files[sample.name].read_bytes()))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    att = Attachment.get(Attachment.subject == case.subject)
    assert Attachment.select().count() == 1
    assert att.by_id == butler.id and att.estate_id == case.estate_id and att.deleted_at is None
    display, thumb = _stored(photo_root, att.display_key), _stored(photo_root, att.thumb_key)
    assert display.is_file() and thumb.is_file()
    assert set(_files_under(photo_root)) - before == {display, thumb}
    assert hashlib.sha256(display.read_bytes()).hexdigest() == att.sha256
    assert hashlib.sha256(thumb.read_bytes()).hexdigest() == att.thumb_sha256
    shown, small = _open(display), _open(thumb)
    assert shown.format == small.format == "JPEG"
    assert max(shown.size) <= 1600 and max(small.size) <= 320
    assert shown.size == (att.width, att.height)
    for im in (shown, small):
        exif = im.getexif()
        assert not exif.get_ifd(GPS_IFD) and GPS_IFD not in exif
        assert "exif" not in im.info and "xmp" not in im.info and "comment" not in im.info


def test_the_gps_photo_loses_its_position_but_keeps_its_capture_time(butler_client, case, corpus_files, photo_root):
    data = corpus_files["gps.jpg"].read_bytes()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the upload really has GPS
    assert _upload(butler_client, case, ("gps.jpg", data)).status_code == 303
    att = Attachment.get()
    for key in (att.display_key, att.thumb_key):
        raw = _stored(photo_root, key).read_bytes()
        assert b"Exif\x00\x00" not in raw and b"<script>" not in raw
    assert att.captured_at is not None and att.captured_at.strftime("%Y:%m:%d %H:%M:%S") == corpus.CAPTURED


@pytest.mark.parametrize("name", ["cmyk.jpg", "cmyk-icc.jpg"])
def test_a_cmyk_photo_comes_out_in_the_right_colours(butler_client, case, corpus_files, photo_root, name):
    assert _upload(butler_client, case, (name, corpus_files[name].read_bytes())).status_code == 303
    att = Attachment.get()
    im = _open(_stored(photo_root, att.display_key)).convert("RGB")
    assert im.size == (400, 300)
    # Stripes of 100 px: red, cyan, white, black; the watermark band is at the bottom.
    r, g, b = im.getpixel((50, 100))
    assert r > 180 and g < 90 and b < 90, (r, g, b)  # reddish, not inverted into cyan
    r, g, b = im.getpixel((150, 100))
    assert r < 90 and g > 120 and b > 180, (r, g, b)
    assert min(im.getpixel((250, 100))) > 230


def test_a_png_named_jpg_and_a_heic_are_accepted_for_what_they_are(butler_client, case, corpus_files):
    for name in ("png-named.jpg", "photo.heic"):
        assert _upload(butler_client, case, (name, corpus_files[name].read_bytes())).status_code == 303
    formats = [a.source_format for a in Attachment.select().order_by(Attachment.id)]
    assert formats == ["PNG", "HEIF"]
    heic = Attachment.select().order_by(Attachment.id.desc()).get()
    assert (heic.width, heic.height) == (480, 640)  # orientation 6 applied: portrait


def test_the_48_megapixel_photo_comes_down_to_1600(butler_client, case, corpus_files):
    assert _upload(butler_client, case, ("48mp.jpg", corpus_files["48mp.jpg"].read_bytes())).status_code == 303
    att = Attachment.get()
    assert (att.width, att.height) == (1600, 1200)


def test_one_bad_photo_among_good_ones_stores_none(butler_client, case, corpus_files, photo_root):
    before = _files_under(photo_root)
    response = _upload(butler_client, case, ("gps.jpg", corpus_files["gps.jpg"].read_bytes()),
                       ("truncated.jpg", corpus_files["truncated.jpg"].read_bytes()))
    assert response.status_code == 422
    assert Attachment.select().count() == 0 and _files_under(photo_root) == before


def test_a_request_over_the_cap_is_refused_with_413(app, butler_client, case, photo_root):
    before = _files_under(photo_root)
    cap = app.config["MAX_CONTENT_LENGTH"]
    assert cap and cap <= 64 * 1024 * 1024
    response = _upload(butler_client, case, ("huge.jpg", b"\xff\xd8\xff" + bytes(cap)))
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)
    assert Attachment.select().count() == 0 and _files_under(photo_root) == before


def _one_photo(client, case, corpus_files):
    assert _upload(client, case, ("gps.jpg", corpus_files["gps.jpg"].read_bytes())).status_code == 303
    return Attachment.get()


def test_photos_are_served_only_to_the_same_estate(app, butler_client, case, corpus_files, other_estate):
    att = _one_photo(butler_client, case, corpus_files)
    factories.make_user(other_estate, role="manager", username="stranger")
    stranger = type(butler_client)(app)
    assert stranger.login("stranger").status_code == 303
    for variant in ("display", "thumb"):
        assert _status(butler_client, f"/photos/{att.token}/{variant}.jpg").status_code == 200
        assert _status(stranger, f"/photos/{att.token}/{variant}.jpg").status_code == 404
    assert butler_client.get("/photos/not-a-real-token-at-all/display.jpg").status_code == 404


def test_a_photo_whose_file_is_gone_is_not_found_not_an_error(butler_client, case, corpus_files, photo_root):
    att = _one_photo(butler_client, case, corpus_files)
    (photo_root / att.thumb_key).unlink()  # a lost disk, or a restore without the photos
    assert _status(butler_client, f"/photos/{att.token}/thumb.jpg").status_code == 404
    assert _status(butler_client, f"/photos/{att.token}/display.jpg").status_code == 200


def test_an_anonymous_visitor_is_sent_to_login(client, butler_client, case, corpus_files, photo_root):
    att = _one_photo(butler_client, case, corpus_files)
    for variant in ("display", "thumb"):
        response = client.get(f"/photos/{att.token}/{variant}.jpg")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    before = _files_under(photo_root)
    response = _upload(client, case, ("gps.jpg", corpus_files["gps.jpg"].read_bytes()))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert Attachment.select().count() == 1 and _files_under(photo_root) == before


def test_the_caching_headers_are_private_immutable_and_conditional(butler_client, case, corpus_files):
    att = _one_photo(butler_client, case, corpus_files)
    for variant, digest in (("display", att.sha256), ("thumb", att.thumb_sha256)):
        url = f"/photos/{att.token}/{variant}.jpg"
        response = butler_client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        cache = [d.strip() for d in response.headers["Cache-Control"].split(",")]
        assert "private" in cache and "immutable" in cache and "public" not in cache and "no-store" not in cache
        assert "max-age=31536000" in cache
        assert response.headers["ETag"] == f'"{digest}"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert hashlib.sha256(response.get_data()).hexdigest() == digest
        response.close()
        again = butler_client.get(url, headers={"If-None-Match": f'"{digest}"'})
        assert again.status_code == 304 and again.get_data() == b""
        again.close()


def test_the_uploader_soft_deletes_and_the_evidence_stays(butler_client, butler, case, corpus_files, photo_root):
    att = _one_photo(butler_client, case, corpus_files)
    response = butler_client.post(f"/photos/{att.token}/delete", {"next": f"/cases/{case.id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{case.id}")
    for variant in ("display", "thumb"):
        assert _status(butler_client, f"/photos/{att.token}/{variant}.jpg").status_code == 404
    row = Attachment.get_by_id(att.id)
    assert row.deleted_at is not None and row.deleted_by_id == butler.id
    assert _stored(photo_root, att.display_key).is_file() and _stored(photo_root, att.thumb_key).is_file()
    event = Event.get((Event.subject == case.subject) & (Event.verb == "photo_deleted"))
    assert event.actor_id == butler.id and event.data == {"photo": att.id}
    page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert att.token not in page
    # Deleting twice finds nothing to delete, and writes nothing more.
    assert butler_client.post(f"/photos/{att.token}/delete", {}).status_code == 404
    assert Event.select().where(Event.verb == "photo_deleted").count() == 1


def test_a_technician_cannot_delete_someone_elses_photo(butler_client, tech_client, case, corpus_files):
    att = _one_photo(butler_client, case, corpus_files)
    assert tech_client.post(f"/photos/{att.token}/delete", {}).status_code == 403
    assert Attachment.get_by_id(att.id).deleted_at is None
    assert Event.select().where(Event.verb == "photo_deleted").count() == 0
    assert _status(tech_client, f"/photos/{att.token}/display.jpg").status_code == 200
