"""A HEIC photo is stored upright whether its orientation is a HEIF rotation (``irot``, as phones write it) or
only an EXIF tag (issue 13, point 8). The test files are made here with pillow_heif."""

from __future__ import annotations

import io
from pathlib import Path
from unittest import mock

import pytest
from PIL import ExifTags, Image

from app.visits import evidence

WIDE = (64, 32)


def heic(*, orientation_only_in_exif: bool) -> bytes:
    """A wide orange HEIC whose EXIF orientation is 6 (turn 90° clockwise to view). pillow_heif normally writes the
    EXIF orientation as a HEIF ``irot`` too; with the encoder's orientation held at 1 it stays only in EXIF."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    image = Image.new("RGB", WIDE, "orange")
    if orientation_only_in_exif:
        with mock.patch("pillow_heif.as_plugin._get_orientation_for_encoder", return_value=1):
            image.save(buffer, format="HEIF", exif=exif.tobytes())
    else:
        image.save(buffer, format="HEIF", exif=exif.tobytes())
    return buffer.getvalue()


def stored_size(app, visit, data: bytes) -> tuple[int, int]:
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="IMG_0001.HEIC", data=data)
    with Image.open(Path(app.config["UPLOAD_DIR"]) / item.storage_name) as stored:
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
        return stored.size


@pytest.mark.parametrize("only_in_exif", [True, False], ids=["exif-only", "irot"])
def test_a_heic_turned_by_its_orientation_is_stored_upright(app, make_visit, only_in_exif):
    data = heic(orientation_only_in_exif=only_in_exif)
    visit = make_visit("in_progress")
    assert stored_size(app, visit, data) == (WIDE[1], WIDE[0])
