"""Uploaded files, for every domain that takes them (a finding's evidence, a message's attachments, a done report's
photos): the checks, storage on disk tied to the transaction, and serving (DESIGN.md 4.1, 4.2, 4.4).

The type is read from the content, never from the name. Photos are decoded and encoded again from their
pixels alone, so nothing of the camera's metadata (EXIF with GPS position, XMP, comments, PNG text chunks,
colour profiles with device names) reaches the server's disk; they also get a thumbnail. HEIC from the tablet
camera becomes JPEG, which every browser shows. PDFs are kept as they are. Every file is stored under a
server-generated name in UPLOAD_DIR, outside the static folder, and served only after the domain's access policy
has found the row (``stored_file_response``). A domain's row for a file uses ``app.core.models.StoredFileMixin``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps
from werkzeug.wrappers import Response

from app.core import transaction
from app.core.errors import InvalidInput
from app.core.models import FileKind

log = logging.getLogger(__name__)

JPEG = "image/jpeg"
PNG = "image/png"
HEIF = "image/heif"
PDF = "application/pdf"

# The brands of an ISO BMFF ``ftyp`` box that make a file HEIC/HEIF (still images and sequences).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"})
# The one Pillow decoder each sniffed type may reach: a file never gets to try the others.
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", HEIF: "HEIF"}
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
# Names a person's own file may already end in for each stored type; anything else gets the stored type's.
NAME_SUFFIXES = {JPEG: (".jpg", ".jpeg", ".jpe"), PNG: (".png",), PDF: (".pdf",)}
THUMBNAIL_PIXELS = 480
JPEG_QUALITY = 88
THUMBNAIL_QUALITY = 80
MAX_NAME_LENGTH = 255


def storage_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


class StoredFileRow(Protocol):
    """What a row describing a stored upload has (every model with app.core.models.StoredFileMixin)."""

    original_name: str
    content_type: str
    storage_name: str
    thumbnail_name: str | None


def file_path(item: StoredFileRow) -> Path:
    return storage_dir() / item.storage_name


def thumbnail_path(item: StoredFileRow) -> Path:
    return storage_dir() / (item.thumbnail_name or item.storage_name)


# ---- what a file is --------------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The content type by the file's first bytes: JPEG, PNG, PDF or HEIC/HEIF; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    if _is_heif(data):
        return HEIF
    return None


def _is_heif(data: bytes) -> bool:
    """An ``ftyp`` box first: size (4 bytes), "ftyp", major brand, minor version, compatible brands."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[:4], "big")
    if box_size < 16 or box_size > len(data) or box_size % 4:
        return False
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(box_size, 1024), 4)}
    return not brands.isdisjoint(HEIF_BRANDS)


def clean_filename(filename: str) -> str:
    """The person's name for the file, for display and download only: no folders, no control or
    direction-changing characters (a "gpj.exe" spoof), at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        keep = f".{suffix}" if dot and stem and len(suffix) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(keep)].rstrip() + keep
    return name or "file"


def download_name(item: StoredFileRow, *, thumbnail: bool = False) -> str:
    """The original name, with the extension of what is actually served (a HEIC photo is served as JPEG)."""
    content_type = JPEG if thumbnail else item.content_type
    name = item.original_name
    if name.lower().endswith(NAME_SUFFIXES.get(content_type, ())):
        return name
    stem, dot, _suffix = name.rpartition(".")
    return (stem if dot and stem else name) + EXTENSIONS.get(content_type, "")


# ---- photos ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    data: bytes
    content_type: str
    kind: FileKind
    thumbnail: bytes | None = None


@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _check_pixels(size: tuple[int, int]) -> None:
    """Refuse what Pillow only warns about: an image above ``MAX_IMAGE_PIXELS`` would still be decoded."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and max(1, size[0]) * max(1, size[1]) > limit:
        raise Image.DecompressionBombError(f"{size[0]}x{size[1]} pixels is above the limit of {limit}")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as the camera meant them, without keeping its colour profile (which names the device)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "P", "PA"):
        return image
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels stay as they are and the profile goes with the rest
    return converted if converted is not None else image


def _flattened(image: Image.Image) -> Image.Image:
    """RGB or L for JPEG: transparency on white, 16-bit greys scaled, CMYK converted."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _pixels_only(image: Image.Image, *, as_jpeg: bool) -> Image.Image:
    image = _to_srgb(image)
    if as_jpeg:
        image = _flattened(image)
    elif image.mode == "PA" or "transparency" in image.info:
        image = image.convert("RGBA")  # keep see-through parts without the tRNS entry of the info
    # Every piece of metadata Pillow knows of lives in ``info`` (exif, xmp, icc_profile, comment, dpi, text
    # chunks…); the savers below get none of it, only the pixels and explicit encoder settings.
    image.info = {}
    return image


def _encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


# EXIF orientation (1–8) → the transposition that makes the pixels upright (as ImageOps.exif_transpose does).
_ORIENTATION_FIX = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _heif_exif_only_orientation(opened: Image.Image) -> int | None:
    """The EXIF orientation of a HEIF image that has no rotation or mirror of its own (``irot``/``imir``), or None.

    libheif applies a HEIF's own transformations while decoding, and pillow_heif then resets the EXIF orientation
    to 1 (keeping the original in ``info["original_orientation"]``) so it is not applied twice. A file that carries
    its orientation only in EXIF would therefore be stored sideways; this tells the caller to turn it."""
    orientation = opened.info.get("original_orientation")
    if orientation not in _ORIENTATION_FIX:
        return None
    heif_file = getattr(opened, "_heif_file", None)
    try:
        primary = heif_file[opened.tell()] if heif_file is not None else None
        transformations = primary._c_image.transformations if primary is not None else ()
    except (AttributeError, IndexError, TypeError):
        return None  # a pillow_heif without the transformation list: trust the decoder
    if any(t[0] in ("irot", "imir") for t in transformations):
        return None
    return int(orientation)


def _prepare_image(data: bytes, content_type: str, name: str) -> _Prepared:
    if content_type == HEIF:
        _register_heif()
    as_jpeg = content_type in (JPEG, HEIF)
    # WeasyPrint switches this on for the whole process when it is imported; a damaged upload must fail here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]]) as opened:
            _check_pixels(opened.size)
            exif_only = _heif_exif_only_orientation(opened) if content_type == HEIF else None
            upright = ImageOps.exif_transpose(opened)  # decodes the first frame; a new image, upright
            if exif_only is not None:
                upright = upright.transpose(_ORIENTATION_FIX[exif_only])
        clean = _pixels_only(upright, as_jpeg=as_jpeg)
        stored = _encode(clean, "JPEG", quality=JPEG_QUALITY, optimize=True) if as_jpeg else _encode(clean, "PNG")
        thumbnail = _flattened(clean).copy()
        thumbnail.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
        thumbnail.info = {}
        thumb = _encode(thumbnail, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            {"file": [_("%(name)s has too many pixels to be handled safely. Upload a smaller image.", name=name)]}
        ) from None
    except Exception:  # Pillow's decoders raise many kinds of errors on damaged or hostile input
        log.info("refused an image that could not be decoded: %s", name, exc_info=True)
        raise InvalidInput(
            {
                "file": [
                    _(
                        "%(name)s could not be read as an image; it may be damaged. "
                        "Take the photo again or upload another file.",
                        name=name,
                    )
                ]
            }
        ) from None
    return _Prepared(stored, JPEG if as_jpeg else PNG, FileKind.photo, thumb)


# ---- files on disk, tied to the transaction ---------------------------------------------------------


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a file: write beside it, then rename in one step."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove stored file %s", path, exc_info=True)


def _remove_after_rollback(paths: list[Path]) -> None:
    """Files written for a change that rolls back are removed again (app.core.transaction)."""
    for path in paths:
        transaction.on_rollback(functools.partial(_remove, path))


def _remove_after_commit(paths: list[Path]) -> None:
    """A deleted row's files go only once the deletion has committed."""
    for path in paths:
        transaction.on_commit(functools.partial(_remove, path))


# ---- checking and storing any upload ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every rule: its cleaned name and the bytes to store (metadata already stripped)."""

    name: str
    data: bytes
    content_type: str
    kind: FileKind
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class StoredUpload:
    """A checked upload written to storage: what its row records."""

    original_name: str
    content_type: str
    kind: FileKind
    size_bytes: int
    sha256: str
    storage_name: str
    thumbnail_name: str | None

    def columns(self) -> dict[str, Any]:
        """The values of app.core.models.StoredFileMixin's columns, for the row that records this file."""
        return {
            "kind": self.kind,
            "original_name": self.original_name,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "storage_name": self.storage_name,
            "thumbnail_name": self.thumbnail_name,
        }


def check_upload(filename: str, data: bytes) -> CheckedUpload:
    """The rules for every uploaded file: not empty, within the size limit, a photo (JPEG, PNG, HEIC) or a PDF
    by its content; photos decoded and encoded again without their metadata. Errors name the file (field "file")."""
    name = clean_filename(filename)
    limit_mb = int(current_app.config["MAX_UPLOAD_MB"])
    if not data:
        raise InvalidInput({"file": [_("%(name)s is empty.", name=name)]})
    if len(data) > limit_mb * 1024 * 1024:
        raise InvalidInput(
            {"file": [_("%(name)s is too large. A file may be at most %(limit)d MB.", name=name, limit=limit_mb)]}
        )
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput(
            {
                "file": [
                    _(
                        "%(name)s is neither a photo nor a PDF. Upload photos (JPEG, PNG, HEIC) or documents (PDF).",
                        name=name,
                    )
                ]
            }
        )
    prepared = (
        _Prepared(data, PDF, FileKind.document) if content_type == PDF else _prepare_image(data, content_type, name)
    )
    return CheckedUpload(name, prepared.data, prepared.content_type, prepared.kind, prepared.thumbnail)


def write_upload(checked: CheckedUpload) -> StoredUpload:
    """Write a checked upload under a server-generated name; the files go again if the transaction rolls back."""
    token = uuid.uuid4().hex
    storage_name = token + EXTENSIONS[checked.content_type]
    thumbnail_name = f"{token}-thumb.jpg" if checked.thumbnail is not None else None
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = [(folder / storage_name, checked.data)]
    if thumbnail_name and checked.thumbnail is not None:
        files.append((folder / thumbnail_name, checked.thumbnail))
    _remove_after_rollback([path for path, _content in files])  # before writing: a failure halfway is cleaned up too
    for path, content in files:
        _write_atomically(path, content)
    return StoredUpload(
        original_name=checked.name,
        content_type=checked.content_type,
        kind=checked.kind,
        size_bytes=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        storage_name=storage_name,
        thumbnail_name=thumbnail_name,
    )


def remove_files_after_commit(item: StoredFileRow) -> None:
    """A deleted row's files (and thumbnail) go once the deletion has committed; a rollback keeps them."""
    _remove_after_commit([file_path(item)] + ([thumbnail_path(item)] if item.thumbnail_name else []))


# ---- serving ---------------------------------------------------------------------------------------

# A served file is never a page of this site: no scripts, plugins or forms, and a unique origin (sandbox),
# whatever a browser or a PDF viewer makes of its bytes.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def send_stored_file(path: Path, *, mimetype: str, name: str) -> Response:
    """A file from storage with the headers that keep it from being run as a page; 404 if it is missing."""
    if not path.is_file():
        log.error("stored file missing from storage: %s", path.name)
        abort(404)
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=not mimetype.startswith("image/"),
        download_name=name,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


def stored_file_response(item: StoredFileRow, *, thumbnail: bool = False) -> Response:
    """A stored upload (evidence, or a message's attachment) or its thumbnail, with the headers that keep it
    from being run as a page; the UI and the API serve uploads only through this."""
    if thumbnail:
        if not item.thumbnail_name:
            abort(404)  # documents have none
        return send_stored_file(thumbnail_path(item), mimetype=JPEG, name=download_name(item, thumbnail=True))
    return send_stored_file(file_path(item), mimetype=item.content_type, name=download_name(item))
