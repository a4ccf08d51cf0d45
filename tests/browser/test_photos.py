"""Photo uploads through the real case page on a phone: small on the wire, watermarked on disk."""
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import expect

from bluebird.photos.models import Attachment
from tests import factories
from tests.fixtures.photos import make_corpus as corpus

pytestmark = pytest.mark.browser

FIXTURES = Path(corpus.__file__).resolve().parent
BODY_LIMIT = 600 * 1024
NETWORK_MESSAGE = "网络不稳定，照片还在，请重试"
KEPT_MESSAGE = "已保存，待上传"


@pytest.fixture(scope="session")
def twelve_mp(tmp_path_factory):
    """A 12 MP phone photo: 4032x3024 with grain, stored sideways (orientation 6), GPS, time."""
    path = tmp_path_factory.mktemp("browser-photos") / "IMG_4032.jpg"
    exif = corpus.exif(6, gps=True, captured=corpus.CAPTURED)
    path.write_bytes(corpus.jpeg(corpus.photo(4032, 3024, 21), quality=92, exif=exif))
    assert 4 * 2**20 <= path.stat().st_size <= 6 * 2**20
    return path


@pytest.fixture
def case_page(phone_page, login):
    """A butler on a phone, looking at a repair case in his estate."""
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    case = factories.make_case(unit, butler)
    page = phone_page
    login(page, "butler")
    page.goto(f"/cases/{case.id}")
    form = page.locator(f"form[action$='/cases/{case.id}/photos']")
    return page, case, form


def _photo_posts(page, case):
    """Collect the browser's POSTs to the case's add-photos route, as Playwright saw them.

    Chromium reports the body of an XHR whose FormData holds Blobs only for requests
    Playwright intercepts, so the route is routed through unchanged.
    """
    posts = []
    url = re.compile(rf"/cases/{case.id}/photos$")
    page.route(url, lambda route: route.continue_())
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and url.search(r.url) else None)
    return posts


def _file_part(body, filename):
    """The bytes of one file in a multipart body."""
    boundary = body[: body.index(b"\r\n")]
    start = body.index(b"\r\n\r\n", body.index(f'filename="{filename}"'.encode())) + 4
    return body[start: body.index(b"\r\n" + boundary, start)]


def _stored(app, key):
    root = app.config.get("PHOTO_ROOT") or Path(app.instance_path) / "photos"
    return Path(root) / key


def test_a_12_megapixel_photo_goes_up_small_and_is_watermarked(app, case_page, twelve_mp, screenshot, collector):
    page, case, form = case_page
    posts = _photo_posts(page, case)

    form.locator("input[data-photo-input]").set_input_files(str(twelve_mp))
    preview = form.locator("[data-photo-previews] figure")
    expect(preview).to_have_count(1)
    expect(preview.locator("img")).to_be_visible()
    caption = preview.locator("figcaption").inner_text()
    kb = int(re.fullmatch(r"(\d+) KB", caption).group(1))
    assert kb * 1024 <= BODY_LIMIT

    # Two submits in a row (a double tap) send one request.
    with page.expect_event("load"):
        page.evaluate("""(sel) => { const f = document.querySelector(sel); f.requestSubmit(); f.requestSubmit(); }""",
                      f"form[action$='/cases/{case.id}/photos']")
    expect(page.locator("#case-photos .photos img")).to_have_count(1)
    assert page.url.endswith(f"/cases/{case.id}")

    assert len(posts) == 1
    body = posts[0].post_data_buffer
    assert body is not None and len(body) <= BODY_LIMIT, len(body or b"")
    # The photo's bytes are really in the body (for a file-backed part, as when the
    # original went, Chromium would report only the headers): the downscaled copy.
    sent = _file_part(body, "IMG_4032.jpg")
    assert len(sent) > 50_000
    with Image.open(io.BytesIO(sent)) as im:
        assert im.format == "JPEG" and im.size == (1200, 1600)
        exif = im.getexif()
        assert 0x8825 not in exif and 0x0112 not in exif  # no GPS; upright, so no orientation
        assert exif.get_ifd(0x8769)[0x9003] == corpus.CAPTURED  # only the capture time rides along

    att = Attachment.get(Attachment.subject == case.subject)
    assert (att.width, att.height) == (1200, 1600)  # turned upright once, not twice
    assert att.captured_at == datetime.strptime(corpus.CAPTURED, "%Y:%m:%d %H:%M:%S")
    display = Image.open(_stored(app, att.display_key))
    assert display.size == (1200, 1600)
    grey = display.convert("L")
    band = grey.crop((0, 1600 - 100, 1200, 1600))  # the watermark: three lines at the bottom
    above = grey.crop((0, 1600 - 400, 1200, 1600 - 300))
    band_stat, above_stat = ImageStat.Stat(band), ImageStat.Stat(above)
    assert band_stat.var[0] > 100, band_stat.var  # not a blank strip
    assert band_stat.mean[0] < above_stat.mean[0] * 0.7  # the band is darkened...
    # ...so its only bright pixels are the white text (darkened photo stays below 0.45 x 255).
    bright = sum(band.histogram()[200:])
    assert bright > 1000, bright

    thumb = page.locator("#case-photos .photos img").first
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) > 0
    screenshot(page, "case-photo.png", full_page=True)
    collector.assert_clean()


def test_a_lost_connection_keeps_the_photo_and_a_retry_sends_it(app, case_page, twelve_mp, screenshot, collector):
    """The upload fails: the outbox (static/outbox.js) keeps the small copy and sends it."""
    page, case, form = case_page
    posts = _photo_posts(page, case)
    form.locator("input[data-photo-input]").set_input_files(str(twelve_mp))
    expect(form.locator("[data-photo-previews] figure img")).to_be_visible()

    page.route(f"**/cases/{case.id}/photos", lambda route: route.abort("internetdisconnected"), times=1)
    form.locator("[data-submit]").click()
    expect(page.locator("#outbox-toast")).to_have_text(KEPT_MESSAGE)
    expect(form.locator("[data-submit]")).to_be_enabled()
    expect(form.locator("[data-progress]")).to_be_hidden()
    assert Attachment.select().count() == 0
    screenshot(page, "case-photo-offline.png")

    # The outbox sends it again by itself (the same client_uuid, the same small photo).
    expect(page.locator("[data-outbox-badge]")).to_be_hidden(timeout=20000)
    assert len(posts) == 2 and Attachment.for_subject(case.subject).count() == 1
    first, second = (_file_part(p.post_data_buffer, "IMG_4032.jpg") for p in posts)
    assert len(first) > 50_000 and first == second  # the very same photo, not prepared twice
    collector.assert_clean(console=False)  # the aborted request logs a network error


def test_a_refused_file_shows_the_message_on_the_same_page(app, case_page, collector):
    page, case, form = case_page
    form.locator("input[data-photo-input]").set_input_files(str(FIXTURES / "text.jpg"))
    expect(form.locator("[data-photo-previews] figure")).to_have_count(1)  # sent as it is
    form.locator("[data-submit]").click()
    expect(page.locator(".flash-error")).to_contain_text("该文件不是照片")
    assert page.url.endswith(f"/cases/{case.id}")
    assert Attachment.select().count() == 0
    # The swapped-in page works like a loaded one: a good photo now goes through.
    form = page.locator(f"form[action$='/cases/{case.id}/photos']")
    form.locator("input[data-photo-input]").set_input_files(str(FIXTURES / "gps.jpg"))
    expect(form.locator("[data-photo-previews] figure")).to_have_count(1)
    with page.expect_event("load"):
        form.locator("[data-submit]").click()
    expect(page.locator("#case-photos .photos img")).to_have_count(1)
    collector.assert_clean(console=False)  # the 415 answer is logged as a failed load


def test_a_heic_the_browser_cannot_read_goes_as_it_is(app, case_page, collector):
    page, case, form = case_page
    posts = _photo_posts(page, case)
    heic = FIXTURES / "photo.heic"
    form.locator("input[data-photo-input]").set_input_files(str(heic))
    expect(form.locator("[data-photo-previews] figure")).to_have_count(1)
    with page.expect_event("load"):
        form.locator("[data-submit]").click()
    expect(page.locator("#case-photos .photos img")).to_have_count(1)
    # The original file went (Chromium reports a file-backed part's headers, not its bytes).
    assert b'filename="photo.heic"\r\nContent-Type: image/heif' in posts[0].post_data_buffer
    assert Attachment.get().source_format == "HEIF"
    collector.assert_clean()


def test_a_new_case_refused_for_a_missing_field_keeps_its_photo(app, phone_page, login, twelve_mp, collector):
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    page = phone_page
    login(page, "butler")
    page.goto("/cases/new?kind=repair")
    form = page.locator("form[data-photo-form]")
    uuid = form.locator("[data-client-uuid]").input_value()
    assert uuid
    form.locator("[name=unit_code]").fill("3-1502")
    form.locator("input[data-photo-input]").set_input_files(str(twelve_mp))
    expect(form.locator("[data-photo-previews] figure img")).to_be_visible()
    form.locator("[data-submit]").click()  # no description: refused

    expect(page.locator(".has-error [name=description]")).to_be_visible()
    form = page.locator("form[data-photo-form]")
    assert page.url.endswith("/cases/new?kind=repair")
    assert form.locator("[data-client-uuid]").input_value() == uuid  # a retry is the same case
    expect(form.locator("[data-photo-previews] figure img")).to_be_visible()  # the photo is still there
    assert page.evaluate("(i) => i.files[0].name", form.locator("input[data-photo-input]").element_handle()) \
        == "IMG_4032.jpg"

    form.locator("[name=description]").fill("厨房水管漏水")
    with page.expect_event("load"):
        form.locator("[data-submit]").click()
    assert re.search(r"/cases/\d+$", page.url)
    expect(page.locator("#case-photos .photos img")).to_have_count(1)
    att = Attachment.get()
    assert (att.width, att.height) == (1200, 1600)
    collector.assert_clean(console=False)  # the 422 answer is logged as a failed load
