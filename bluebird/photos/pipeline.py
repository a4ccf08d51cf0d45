"""Turn an untrusted photo upload into a watermarked display JPEG and a thumbnail.

Every upload is hostile: the type comes from the bytes, bombs and absurd shapes are refused
from the header, JPEGs decode at a reduced scale (`draft`) and are resized before the EXIF
orientation is applied. Outputs keep only a valid ICC profile. Bad input is a `PhotoError`.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pillow_heif
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFont

pillow_heif.register_heif_opener()

DEFAULT_MAX_BYTES = 25 * 1024 * 1024  # a 48 MP phone JPEG is 15-20 MB
MAX_PIXELS = 50_000_000
MAX_ASPECT = 20  # phone panoramas stay far below 20:1; 1x50000 strips do not
MIN_SIDE = 64  # below this the watermark cannot be read, so it is not evidence
JPEG_QUALITY = 82
MIME = "image/jpeg"
FONT_ENV = "BLUEBIRD_WATERMARK_FONT"
DEFAULT_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

_T = Image.Transpose
_ORIENTATION = {
    2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM, 5: _T.TRANSPOSE,
    6: _T.ROTATE_270, 7: _T.TRANSVERSE, 8: _T.ROTATE_90,
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Scaling every channel by 0.45 is compositing black at 55 % opacity, done with one
# lookup table instead of an RGBA alpha_composite.
_BAND_LUT = [v * 45 // 100 for v in range(256)]
# After draft() the remaining downscale is under 2x, where Pillow's antialiased bilinear
# looks the same as bicubic at two thirds of the cost; it pays for the progressive encode.
_RESAMPLE = Image.Resampling.BILINEAR
_ICC_SPACE = {"RGB": "RGB", "L": "GRAY"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# An FT_Face must not be used by two threads at once; the GIL covers that today, a
# free-threaded Python would not.
_FONT_LOCK = threading.Lock()
_NOT_IMAGE = _l("This is not a photo. Upload a JPEG, PNG, WebP or HEIC image.")
_DAMAGED = _l("The photo is incomplete or damaged. Please take or upload it again.")
_STATUS = {"too_large": 413, "not_image": 415, "empty": 400}


class PhotoError(Exception):
    """Reject an upload with a machine code and a lazily translated message."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """Suggest the HTTP status for this rejection."""
        return _STATUS.get(self.code, 422)


@dataclass(frozen=True)
class Watermark:
    """Hold what is burned into the display copy; times are printed as given."""

    estate: str
    place: str
    staff: str
    received_at: datetime
    captured_at: datetime | None = None  # used only when the file has no DateTimeOriginal


@dataclass(frozen=True)
class Processed:
    """Hold the two files to store and what the attachment record keeps about them."""

    display: bytes = field(repr=False)
    thumb: bytes = field(repr=False)
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    display_sha256: str
    thumb_sha256: str
    captured_at: datetime | None
    source_format: str  # what the upload really was: JPEG, MPO, PNG, WEBP or HEIF
    mime: str = MIME
    ext: str = "jpg"


def process(
    data: bytes, *, watermark: Watermark | None, max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = MAX_PIXELS, display_px: int = 1600, thumb_px: int = 320,
    font_path: str | None = None,
) -> Processed:
    """Validate, downscale, orient, watermark and re-encode one upload."""
    if not data:
        raise PhotoError("empty", _l("The file is empty."))
    if len(data) > max_bytes:
        raise PhotoError(
            "too_large", _l("The photo is larger than %(mb)d MB.", mb=max_bytes // 2**20)
        )
    fmt = _sniff(data)
    if fmt is None:
        raise PhotoError("not_image", _NOT_IMAGE)
    im = _open(data, fmt, max_pixels)
    source_format = im.format or fmt
    orientation, captured_at = _read_exif(im)
    icc = im.info.get("icc_profile")
    im = _decode_small(im, _fit(im.size, display_px))
    if im.mode == "CMYK":
        im, icc = _cmyk_to_rgb(im, icc), None
    if orientation in _ORIENTATION:
        im = im.transpose(_ORIENTATION[orientation])
    icc = _valid_icc(icc, im.mode)
    thumb = im.resize(_fit(im.size, thumb_px), _RESAMPLE, reducing_gap=2.0)
    if watermark is not None:
        _burn(im, watermark, captured_at or watermark.captured_at, font_path)
    display, small = _jpeg(im, icc), _jpeg(thumb, icc)
    return Processed(
        display=display, thumb=small, width=im.width, height=im.height,
        thumb_width=thumb.width, thumb_height=thumb.height,
        display_sha256=hashlib.sha256(display).hexdigest(),
        thumb_sha256=hashlib.sha256(small).hexdigest(),
        captured_at=captured_at, source_format=source_format,
    )


def resolve_font(path: str | None = None) -> str:
    """Pick the watermark font: the argument, $BLUEBIRD_WATERMARK_FONT, or a system CJK font."""
    chosen = path or os.environ.get(FONT_ENV)
    if chosen:
        if not os.path.isfile(chosen):
            raise FileNotFoundError(f"watermark font not found: {chosen}")
        return chosen
    for candidate in DEFAULT_FONTS:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"no CJK watermark font: install fonts-wqy-microhei or set {FONT_ENV}")


def _too_many(max_pixels: int) -> PhotoError:
    """Build the error for a pixel count that could exhaust memory."""
    message = _l("The photo has more than %(mp)d megapixels.", mp=max_pixels // 1_000_000)
    return PhotoError("too_many_pixels", message)


def _sniff(data: bytes) -> str | None:
    """Name the Pillow format the magic bytes announce, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _open(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    """Parse the header only, and refuse bombs and absurd shapes before decoding."""
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception only where warnings are errors (tests);
        # elsewhere Pillow just logs it and our own, lower limit below rejects the file.
        raise _too_many(max_pixels) from exc
    except Exception as exc:  # decoders raise a zoo of types on hostile headers
        raise PhotoError("not_image", _NOT_IMAGE) from exc
    w, h = im.size
    if w * h > max_pixels:
        raise _too_many(max_pixels)
    if min(w, h) < MIN_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
        raise PhotoError("bad_dimensions", _l("The image is too narrow or too small for a photo."))
    return im


def _read_exif(im: Image.Image) -> tuple[int, datetime | None]:
    """Return the orientation and DateTimeOriginal; damaged EXIF just means neither."""
    try:
        exif = im.getexif()
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except Exception:  # EXIF is optional and attacker-written; never fail a photo on it
        return 1, None
    if not isinstance(orientation, int):
        orientation = 1
    try:
        text = raw.decode("ascii") if isinstance(raw, bytes) else raw
        return orientation, datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except (AttributeError, TypeError, ValueError):  # absent, not text, or not a date
        return orientation, None


def _fit(size: tuple[int, int], px: int) -> tuple[int, int]:
    """Scale a size down so its long side is at most px, never up."""
    w, h = size
    if max(w, h) <= px:
        return w, h
    scale = px / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _decode_small(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Decode at the smallest JPEG scale that still covers target, then resize to it."""
    try:
        if im.format in ("JPEG", "MPO"):
            im.draft(None, target)  # libjpeg decodes at 1/2, 1/4 or 1/8: the main saving
        elif im.format == "HEIF":
            # HEVC has no reduced-scale decode; pillow-heif's draft() picks an embedded
            # thumbnail instead when one is an exact scaled copy at least `target` big
            # (some phones store 1024-2048 px previews; an iPhone's 320 px one is too small).
            im.draft(None, target)
        im.load()
        if im.mode not in ("RGB", "L", "CMYK"):
            im = _flatten(im)
        if im.size != target:
            im = im.resize(target, _RESAMPLE, reducing_gap=3.0)
    except Exception as exc:  # truncated or corrupt pixel data, in any decoder's words
        code = "truncated" if "truncat" in str(exc) else "corrupt"
        raise PhotoError(code, _DAMAGED) from exc
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """Reduce any other mode to RGB or L, putting transparency on white."""
    if im.mode.startswith("I") or im.mode == "F":  # 16-bit greys from PNG
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")


def _cmyk_to_rgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert CMYK to sRGB through the file's own profile when it has a usable one."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile is no reason to lose the evidence
    return im.convert("RGB")


def _valid_icc(icc: bytes | None, mode: str) -> bytes | None:
    """Keep the ICC profile only if it parses and describes pixels of this mode."""
    if not icc:
        return None
    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return icc if space == _ICC_SPACE.get(mode) else None


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Load a font once per size; the basic layout is enough for CJK and much cheaper."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """Flatten whitespace and cut the text with an ellipsis to fit width."""
    text = " ".join(text.split())[:200]  # newlines would make draw.text go multi-line
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _burn(im: Image.Image, wm: Watermark, captured: datetime | None, font_path: str | None):
    """Darken a band along the bottom and write who, where and when into it in white."""
    w, h = im.size
    size = max(12, min(w, h) // 45)
    font = _font(resolve_font(font_path), size)
    pad, line_h = size // 2, size * 13 // 10
    # gettext, not _l: inside a request this is the uploader's language, else English.
    times = [gettext("Received %(time)s", time=f"{wm.received_at:%Y-%m-%d %H:%M}")]
    if captured:
        times.insert(0, gettext("Taken %(time)s", time=f"{captured:%Y-%m-%d %H:%M}"))
    lines = [" · ".join(p for p in (wm.estate, wm.place) if p), wm.staff, " · ".join(times)]
    lines = [line for line in lines if line.strip()]
    box = (0, max(0, h - len(lines) * line_h - 2 * pad), w, h)
    band = im.crop(box).point(_BAND_LUT * len(im.getbands()))
    draw = ImageDraw.Draw(band)
    with _FONT_LOCK:
        for i, line in enumerate(lines):
            text = _ellipsize(line, font, w - 2 * pad)
            draw.text((pad, pad + i * line_h), text, font=font, fill="white")
    im.paste(band, box)


def _jpeg(im: Image.Image, icc: bytes | None) -> bytes:
    """Encode a progressive JPEG that carries the colour profile and nothing else."""
    im.info = {}  # resize and transpose copy info; a COM comment or XMP must not ride along
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, progressive=True, icc_profile=icc)
    return buf.getvalue()
