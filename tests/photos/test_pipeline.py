"""Unit tests of the photo pipeline against the generated corpus."""

import dataclasses
import hashlib
import importlib.util
import io
import random
import sys
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, LazyString
from PIL import Image, ImageChops, ImageStat

from bluebird.photos import pipeline
from bluebird.photos.pipeline import PhotoError, Processed, Watermark, process

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "photos"


def _load_corpus():
    """Import make_corpus.py by path: tests/fixtures is not a package."""
    spec = importlib.util.spec_from_file_location("photo_corpus", FIXTURES / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need their module registered
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
HOSTILE = [s for s in corpus.SAMPLES if s.expect != "ok"]
LEGIT = [s for s in corpus.SAMPLES if s.expect == "ok"]
WM = Watermark(
    estate="翠湖花园", place="3栋2单元1201", staff="张三", received_at=datetime(2024, 5, 2, 9, 15)
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Build the whole corpus, big files included, into a temporary directory."""
    return corpus.build(tmp_path_factory.mktemp("corpus"))


def data_of(files, name):
    """Read one corpus file."""
    return files[name].read_bytes()


def jpeg_bytes(im, **params):
    """Encode an image as a JPEG."""
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=params.pop("quality", 95), **params)
    return buf.getvalue()


def decode(blob):
    """Open output bytes and load them fully."""
    im = Image.open(io.BytesIO(blob))
    im.load()
    return im


def band(im, fraction=0.08):
    """Crop the bottom strip of an image, where the watermark lives."""
    return im.crop((0, int(im.height * (1 - fraction)), im.width, im.height))


def test_committed_corpus_is_complete_and_small():
    for sample in corpus.SAMPLES:
        path = FIXTURES / sample.name
        if sample.big:
            assert not path.exists(), f"{sample.name} is big and must not be committed"
        else:
            assert path.exists(), f"run make_corpus.py: {sample.name} is missing"
            assert path.stat().st_size <= 300 * 1024


@pytest.mark.parametrize("sample", HOSTILE, ids=lambda s: s.name)
def test_hostile_file_is_rejected_with_its_code(files, sample):
    with pytest.raises(PhotoError) as info:
        process(data_of(files, sample.name), watermark=WM)
    assert info.value.code == sample.expect
    assert info.value.status in (400, 413, 415, 422)
    assert isinstance(info.value.message, LazyString)


def test_oversize_sample_really_exceeds_the_default_cap(files):
    data = data_of(files, "oversize.jpg")
    assert len(data) > pipeline.DEFAULT_MAX_BYTES
    assert process(data, watermark=None, max_bytes=len(data)).width == 640  # a real JPEG


def test_bomb_is_refused_even_when_warnings_are_not_errors(files):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(PhotoError) as info:
            process(data_of(files, "bomb.png"), watermark=WM)
    assert info.value.code == "too_many_pixels"
    assert all(issubclass(w.category, Image.DecompressionBombWarning) for w in seen)


def test_messages_are_lazy_english_and_render_in_an_app_context():
    app = Flask(__name__)
    Babel(app)
    with pytest.raises(PhotoError) as info:
        process(b"", watermark=None)
    with app.app_context():
        assert str(info.value.message) == "The file is empty."
    with pytest.raises(PhotoError) as info:
        process(b"x" * 11, watermark=None, max_bytes=10)
    with app.app_context():
        assert str(info.value.message).startswith("The photo is larger than")
    assert info.value.status == 413


@pytest.mark.parametrize("sample", LEGIT, ids=lambda s: s.name)
def test_legit_file_becomes_two_clean_jpegs(files, sample):
    data = data_of(files, sample.name)
    out = process(data, watermark=WM)
    assert isinstance(out, Processed)
    assert (out.mime, out.ext) == ("image/jpeg", "jpg")
    pairs = [
        (out.display, out.display_sha256, (out.width, out.height), 1600),
        (out.thumb, out.thumb_sha256, (out.thumb_width, out.thumb_height), 320),
    ]
    for blob, digest, size, limit in pairs:
        assert blob[:3] == b"\xff\xd8\xff" and blob != data
        assert hashlib.sha256(blob).hexdigest() == digest
        im = decode(blob)
        assert im.format == "JPEG" and im.size == size and max(size) <= limit
        assert im.info.get("progressive")
        assert len(im.getexif()) == 0 and not im.getexif().get_ifd(0x8825)
        for key in ("exif", "xmp", "comment"):
            assert key not in im.info
        assert b"Exif\x00\x00" not in blob and b"<script" not in blob
    assert max(out.thumb_width, out.thumb_height) == min(320, max(out.width, out.height))
    assert len(out.display) < 600_000 and len(out.thumb) < 40_000


def test_gps_and_every_other_metadata_are_gone(files):
    data = data_of(files, "gps.jpg")
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825), "the premise: the upload has GPS"
    assert "xmp" in source.info and b"<script" in data
    out = process(data, watermark=WM)
    assert out.captured_at == datetime(2024, 5, 1, 10, 22, 33)
    for blob in (out.display, out.thumb):
        im = decode(blob)
        assert not im.getexif().get_ifd(0x8825)
        assert len(im.getexif()) == 0
        assert b"adobe:ns:meta" not in blob and b"alert(1)" not in blob


def test_orientation_6_is_applied(files):
    out = process(data_of(files, "orientation-6.jpg"), watermark=WM)
    assert (out.width, out.height) == (600, 800)
    thumb = decode(out.thumb).convert("RGB")
    # Stored red top-left quadrant; rotated 90 degrees clockwise it is top-right.
    top_right = thumb.getpixel((thumb.width * 3 // 4, thumb.height // 4))
    top_left = thumb.getpixel((thumb.width // 4, thumb.height // 4))
    assert top_right[0] > 180 and top_right[2] < 80
    assert top_left[2] > 150 and top_left[0] < 100


def test_heic_is_decoded_rotated_and_dated(files):
    out = process(data_of(files, "photo.heic"), watermark=WM)
    assert out.source_format == "HEIF"
    assert out.width < out.height
    assert out.captured_at == datetime(2024, 5, 1, 10, 22, 33)


def test_png_named_jpg_is_sniffed_by_content(files):
    assert process(data_of(files, "png-named.jpg"), watermark=WM).source_format == "PNG"


def test_mpo_from_android_is_accepted(files):
    assert process(data_of(files, "mpo.jpg"), watermark=WM).source_format == "MPO"


def patches(blob):
    """Return the colour at the middle of each CMYK stripe, in order."""
    im = decode(blob).convert("RGB")
    count = len(corpus.CMYK_PATCHES)
    return [im.getpixel((int(im.width * (i + 0.5) / count), im.height // 4)) for i in range(count)]


def close(a, b, tolerance=24):
    """Compare two RGB colours channel by channel."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_cmyk_without_profile_converts_plainly(files):
    out = process(data_of(files, "cmyk.jpg"), watermark=WM)
    for blob in (out.thumb, out.display):
        red, cyan, white, black = patches(blob)
        assert close(red, (255, 0, 0)) and close(cyan, (0, 255, 255))
        assert close(white, (255, 255, 255)) and close(black, (0, 0, 0))
    assert "icc_profile" not in decode(out.display).info  # a CMYK profile cannot describe RGB


def test_cmyk_with_profile_converts_through_the_profile(files):
    out = process(data_of(files, "cmyk-icc.jpg"), watermark=WM)
    red, cyan, white, black = patches(out.thumb)
    assert red[0] > 200 and red[1] < 40 and red[2] < 40
    # The profile's cyan ink is (0, 174, 239); a plain convert would give (0, 255, 255).
    assert close(cyan, (0, 174, 239)) and cyan[2] - cyan[1] > 40
    assert close(white, (255, 255, 255)) and close(black, (35, 31, 32))
    assert "icc_profile" not in decode(out.display).info


def test_icc_profile_is_kept_in_both_outputs(files):
    data = data_of(files, "icc.jpg")
    profile = Image.open(io.BytesIO(data)).info["icc_profile"]
    out = process(data, watermark=WM)
    assert decode(out.display).info["icc_profile"] == profile
    assert decode(out.thumb).info["icc_profile"] == profile


def test_broken_icc_profile_is_dropped():
    data = jpeg_bytes(corpus.photo(320, 240), icc_profile=b"not a profile at all" * 10)
    out = process(data, watermark=WM)
    assert "icc_profile" not in decode(out.display).info


def test_transparency_goes_on_white_and_16_bit_grey_stays_grey(files):
    alpha = decode(process(data_of(files, "alpha.png"), watermark=WM).thumb)
    assert close(alpha.getpixel((20, 20)), (255, 255, 255))
    assert close(alpha.getpixel((alpha.width - 20, 20)), (0, 0, 0))
    grey = decode(process(data_of(files, "grey16.png"), watermark=WM).thumb)
    assert grey.mode == "L" and abs(grey.getpixel((20, 20)) - 128) <= 4


def test_48_megapixel_photo_is_decoded_at_a_quarter(files, monkeypatch):
    sources = spy(monkeypatch, "resize")
    out = process(data_of(files, "48mp.jpg"), watermark=WM)
    assert (out.width, out.height) == (1600, 1200)
    assert sources[0] == (2000, 1500)  # libjpeg decoded 8000x6000 at 1/4
    assert not decode(out.display).getexif().get_ifd(0x8825)


def spy(monkeypatch, method):
    """Record the size of every image the named Image method is called on."""
    sizes = []
    original = getattr(Image.Image, method)

    def wrapper(self, *args, **kwargs):
        sizes.append(self.size)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, method, wrapper)
    return sizes


def test_draft_and_resize_happen_before_the_orientation(monkeypatch):
    exif = corpus.exif(6)
    data = jpeg_bytes(Image.new("RGB", (4000, 3000), (90, 120, 150)), quality=80, exif=exif)
    resized, transposed = spy(monkeypatch, "resize"), spy(monkeypatch, "transpose")
    out = process(data, watermark=WM)
    assert (out.width, out.height) == (1200, 1600)
    assert resized[0] == (2000, 1500)  # decoded at half scale, not 4000x3000
    assert transposed == [(1600, 1200)]  # rotated once, and only the small image


def test_small_images_are_not_upscaled():
    out = process(jpeg_bytes(corpus.photo(640, 480)), watermark=WM)
    assert (out.width, out.height, out.thumb_width, out.thumb_height) == (640, 480, 320, 240)


def test_limits_are_arguments():
    data = jpeg_bytes(corpus.photo(800, 600))
    assert process(data, watermark=None, max_bytes=len(data)).width == 800
    with pytest.raises(PhotoError, match="too_large"):
        process(data, watermark=None, max_bytes=len(data) - 1)
    with pytest.raises(PhotoError, match="too_many_pixels"):
        process(data, watermark=None, max_pixels=800 * 600 - 1)
    out = process(data, watermark=None, display_px=400, thumb_px=100)
    assert (out.width, out.height, out.thumb_width, out.thumb_height) == (400, 300, 100, 75)


@pytest.mark.parametrize(
    ("size", "code"),
    [((1280, 64), None), ((1300, 64), "bad_dimensions"), ((64, 1281), "bad_dimensions"),
     ((200, 63), "bad_dimensions"), ((50_000, 1), "bad_dimensions")],
)
def test_shape_limits(size, code):
    buf = io.BytesIO()
    Image.new("L", size, 100).save(buf, "PNG")
    if code is None:
        assert process(buf.getvalue(), watermark=WM).width == min(size[0], 1600)
    else:
        with pytest.raises(PhotoError) as info:
            process(buf.getvalue(), watermark=WM)
        assert info.value.code == code


def test_mutated_files_never_escape_as_other_errors(files):
    rng = random.Random(7)
    seeds = [data_of(files, n) for n in ("gps.jpg", "png-named.jpg", "photo.webp", "cmyk-icc.jpg")]
    outcomes = set()
    for _ in range(120):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        try:
            process(bytes(data), watermark=WM)
            outcomes.add("ok")
        except PhotoError as err:
            outcomes.add(err.code)
    assert outcomes <= {"ok", "truncated", "corrupt", "not_image", "bad_dimensions",
                        "too_many_pixels"}


def grey_jpeg(exif=None):
    """Make a flat grey 1600x1200 JPEG, so anything in the band is the watermark."""
    return jpeg_bytes(Image.new("RGB", (1600, 1200), (128, 128, 128)), exif=exif or Image.Exif())


def test_watermark_band_is_dark_and_carries_text():
    data = grey_jpeg()
    marked = decode(process(data, watermark=WM).display).convert("L")
    plain = decode(process(data, watermark=None).display).convert("L")
    plain_band, marked_band = ImageStat.Stat(band(plain)), ImageStat.Stat(band(marked))
    assert plain_band.var[0] < 4
    assert marked_band.var[0] > 300  # white glyphs on a dark band
    assert marked_band.mean[0] < plain_band.mean[0] - 30
    assert band(marked).getextrema()[1] > 200
    top = (0, 0, 1600, 600)
    assert ImageChops.difference(marked.crop(top), plain.crop(top)).getbbox() is None
    assert ImageChops.difference(band(marked), band(plain)).getbbox() is not None


def test_watermark_renders_real_chinese_glyphs():
    data = grey_jpeg()
    one = Watermark("翠湖花园", "三栋", "张三", WM.received_at)
    two = Watermark("碧水蓝天", "五栋", "李四", WM.received_at)
    a = band(decode(process(data, watermark=one).display))
    b = band(decode(process(data, watermark=two).display))
    # A font without CJK draws identical .notdef boxes for both; real glyphs differ.
    assert ImageStat.Stat(ImageChops.difference(a, b)).mean[0] > 1


def test_exif_capture_time_wins_over_the_callers_hint():
    first = dataclasses.replace(WM, captured_at=datetime(2020, 1, 1, 8, 0))
    second = dataclasses.replace(WM, captured_at=datetime(2021, 2, 2, 9, 0))
    bare = grey_jpeg()
    assert band(decode(process(bare, watermark=first).display)) != band(
        decode(process(bare, watermark=second).display)
    )
    dated = grey_jpeg(corpus.exif(1, captured=corpus.CAPTURED))
    out_first = process(dated, watermark=first)
    assert out_first.captured_at == datetime(2024, 5, 1, 10, 22, 33)
    assert out_first.display == process(dated, watermark=second).display


def test_font_comes_from_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(pipeline.FONT_ENV, raising=False)
    default = pipeline.resolve_font()
    assert Path(default).is_file()
    monkeypatch.setenv(pipeline.FONT_ENV, str(tmp_path / "missing.ttf"))
    with pytest.raises(FileNotFoundError):
        process(grey_jpeg(), watermark=WM)
    assert process(grey_jpeg(), watermark=None).width == 1600  # no watermark, no font needed
    assert process(grey_jpeg(), watermark=WM, font_path=default).width == 1600
