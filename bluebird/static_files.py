"""Static files go out minified and compressed once per process, at the strongest setting.

Flask-Compress compresses each response as it goes, at a level fit for pages made per
request (zstd 3, brotli 4). A static file is the same bytes for every visitor until the
next deploy, and the shell's files are most of a first visit's bytes on a phone: brotli 11
makes them 51 KB against 63 KB at zstd 3. So each file is compressed once per process and
encoding (brotli, else gzip 9), kept in memory (the files are a few hundred KB in all),
and sent with its Content-Encoding; Flask-Compress leaves a response that has one alone.
Our own scripts and styles are minified first (rjsmin, rcssmin: comments and spaces go,
9 KB of a first visit's 51); the vendored files come minified already, and a browser
that takes no compression gets the file as it is in the repository.

Not WhiteNoise: it wants the compressed copies built on disk at deploy (Bluebird has no
build step: `make run` serves the checkout) and versions files by name, where Bluebird
versions them by `?v=` and marks only the current version immutable.
"""
import gzip
import os
import threading

import brotli
import rcssmin
import rjsmin

COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".html", ".txt", ".webmanifest")
_kept: dict = {}
_lock = threading.Lock()


def _encoding(accept: str) -> str | None:
    accepted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if "br" in accepted:
        return "br"
    if "gzip" in accepted:
        return "gzip"
    return None


def _compressed(path: str, encoding: str) -> bytes:
    stat = os.stat(path)
    key = (path, encoding, stat.st_mtime_ns, stat.st_size)
    body = _kept.get(key)
    if body is None:
        with open(path, "rb") as f:
            data = f.read()
        if "/vendor/" not in path.replace(os.sep, "/"):
            data = _minified(path, data)
        body = _pack(data, encoding)
        with _lock:
            _kept[key] = body
    return body


def _minified(name: str, data: bytes) -> bytes:
    if name.endswith(".js"):
        return rjsmin.jsmin(data)
    if name.endswith(".css"):
        return rcssmin.cssmin(data)
    return data


def _pack(data: bytes, encoding: str) -> bytes:
    return brotli.compress(data, quality=11) if encoding == "br" else gzip.compress(data, 9, mtime=0)


def made_once(key, name: str, make, accept: str) -> tuple[bytes, str | None]:
    """A body the app makes, the same until the next deploy (the service worker: a template
    with this build's addresses in it), made, minified and compressed once per process:
    (body, Content-Encoding or None for a browser that takes no compression)."""
    encoding = _encoding(accept)
    full = ("made", key, encoding)
    body = _kept.get(full)
    if body is None:
        plain = _minified(name, make())
        body = plain if encoding is None else _pack(plain, encoding)
        with _lock:
            _kept[full] = body
    return body, encoding


def precompressed(response, folder: str, filename: str, accept: str):
    """Swap a whole static file's body (200) for its kept compressed bytes, if the browser takes them."""
    encoding = _encoding(accept)
    if (response.status_code != 200 or encoding is None or not filename.endswith(COMPRESSIBLE)
            or "Content-Encoding" in response.headers):
        return response
    path = os.path.join(folder, filename)
    if not os.path.isfile(path):
        return response
    body = _compressed(path, encoding)
    if hasattr(response.response, "close"):
        response.response.close()  # the file send_file opened
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:  # the file's tag, now naming one of its encodings
        response.set_etag(f"{etag}-{encoding}")
    return response
