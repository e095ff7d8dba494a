"""Evidence uploads: the type read from the content, photos without their metadata, thumbnails, storage under
server-generated names, and files served only to those who may see the finding (DESIGN.md 4.1, 4.6)."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.core import access, files
from app.core.errors import DomainError, InvalidInput
from app.visits import evidence, services
from app.visits.models import Evidence

# ---- files made for the tests ---------------------------------------------------------------------


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Tablet Maker"
    exif[ExifTags.Base.Model] = "Tab 9"
    exif[ExifTags.Base.DateTime] = "2026:03:04 10:15:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 19.0, 48.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (18.0, 4.0, 7.0)
    return exif


def jpeg(size: tuple[int, int] = (1200, 900), color: str = "steelblue", **params) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "Hemligt: tagen hos Storgatan 1")
    info.add_itxt("Author", "Lena Lead")
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (10, 200, 30, 128)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(buffer, format="HEIF", exif=gps_exif(), quality=60)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def opened(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_DIR"])


@pytest.fixture
def visit(make_visit):
    return make_visit("in_progress")


@pytest.fixture
def store(visit):
    """Upload as the visit's lead reviewer, through the service."""

    def upload(filename: str, data: bytes, actor=None) -> Evidence:
        return evidence.store_upload(visit.findings[0].id, actor=actor or visit.lead, filename=filename, data=data)

    return upload


def evidence_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence))


def to_comment(visit) -> None:
    """Move a visit on to kommunicering (from in_progress or draft)."""
    if visit.status.value == "in_progress":
        services.transition(visit.id, actor=access.OPERATOR, to="draft")
    services.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=14)
    )


# ---- what the content is --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heix", "image/heif"),
        (b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00hevc", "image/heif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # an MP4 video
        (HTML, None),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', None),
        (b"PK\x03\x04\x14\x00\x00\x00", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_content(data, expected):
    assert files.sniff(data) == expected


# ---- photos lose their metadata -------------------------------------------------------------------


def test_a_photo_is_stored_without_exif_or_gps(store, upload_dir):
    original = jpeg(exif=gps_exif(), comment=b"Storgatan 1")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file has GPS

    item = store("IMG_0001.jpg", original)

    stored = opened(upload_dir / item.storage_name)
    exif = stored.getexif()
    assert len(exif) == 0
    assert ExifTags.IFD.GPSInfo not in exif
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(stored.info)
    assert (item.kind.value, item.content_type, stored.format) == ("photo", "image/jpeg", "JPEG")


def test_a_photo_gets_a_jpeg_thumbnail_of_at_most_480_pixels(store, upload_dir):
    item = store("IMG_0002.jpg", jpeg(size=(2000, 1500), exif=gps_exif()))

    thumbnail = opened(upload_dir / item.thumbnail_name)
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 480
    assert thumbnail.size == (480, 360)
    assert len(thumbnail.getexif()) == 0


def test_a_photo_is_turned_upright_by_its_orientation(store, upload_dir):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the tablet was held upright: rotate 90° clockwise to view
    item = store("portrait.jpg", jpeg(size=(400, 300), exif=exif))

    assert opened(upload_dir / item.storage_name).size == (300, 400)


def test_a_colour_profile_is_applied_and_not_kept(store, upload_dir):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    item = store("IMG_0010.jpg", jpeg(color="navy", icc_profile=profile))

    stored = opened(upload_dir / item.storage_name)
    assert "icc_profile" not in stored.info
    assert stored.mode == "RGB"


def test_a_png_loses_its_text_chunks(store, upload_dir):
    original = png_with_text()
    assert "Comment" in Image.open(io.BytesIO(original)).info

    item = store("skärmbild.png", original)

    stored = opened(upload_dir / item.storage_name)
    assert (stored.format, item.content_type) == ("PNG", "image/png")
    assert "Comment" not in stored.info and "Author" not in stored.info
    assert stored.text == {}
    assert b"tEXt" not in (upload_dir / item.storage_name).read_bytes()
    assert stored.mode == "RGBA"


def test_a_heic_photo_is_stored_as_jpeg_without_metadata(store, upload_dir):
    item = store("IMG_0003.HEIC", heic())

    stored = opened(upload_dir / item.storage_name)
    assert (stored.format, item.content_type, item.storage_name[-4:]) == ("JPEG", "image/jpeg", ".jpg")
    assert stored.size == (640, 480)
    assert len(stored.getexif()) == 0
    assert files.download_name(item) == "IMG_0003.jpg"


def test_stored_size_and_checksum_describe_the_stored_bytes(store, upload_dir):
    item = store("IMG_0004.jpg", jpeg(exif=gps_exif()))

    content = (upload_dir / item.storage_name).read_bytes()
    assert item.size_bytes == len(content)
    assert item.sha256 == hashlib.sha256(content).hexdigest()


def test_a_pdf_is_stored_byte_identical_as_a_document(store, upload_dir):
    item = store("Rutin brandskydd.pdf", PDF)

    assert (upload_dir / item.storage_name).read_bytes() == PDF
    assert (item.kind.value, item.content_type, item.thumbnail_name) == ("document", "application/pdf", None)
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert item.original_name == "Rutin brandskydd.pdf"


def test_stored_names_are_server_generated_and_outside_static(app, store, upload_dir):
    item = store("../../static/evil.jpg", jpeg())

    assert "evil" not in item.storage_name and "evil" not in item.thumbnail_name
    assert item.original_name == "evil.jpg"
    for name in (item.storage_name, item.thumbnail_name):
        path = (upload_dir / name).resolve()
        assert path.is_file()
        assert path.parent == upload_dir.resolve()
        assert not path.is_relative_to(Path(app.static_folder).resolve())
    assert files_in(upload_dir) == sorted([upload_dir / item.storage_name, upload_dir / item.thumbnail_name])


def test_an_original_name_is_cleaned_of_control_characters_and_kept_short(store):
    item = store("foto\u202egpj.exe\n" + "x" * 300 + ".jpg", jpeg())

    assert "\u202e" not in item.original_name and "\n" not in item.original_name
    assert len(item.original_name) == 255
    assert item.original_name.endswith(".jpg")


# ---- what is refused ------------------------------------------------------------------------------


def refused(store, filename: str, data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        store(filename, data)
    assert caught.value.status == 422
    assert list(caught.value.errors) == ["file"]
    return caught.value.errors["file"][0]


def test_html_behind_a_jpg_name_is_refused(store, db, upload_dir):
    message = refused(store, "foto.jpg", HTML)

    assert "JPEG" in message and "PDF" in message
    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("sida.html", HTML),
        ("bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("arkiv.zip", b"PK\x03\x04" + b"\x00" * 100),
        ("animering.gif", b"GIF89a" + b"\x00" * 100),
    ],
)
def test_other_kinds_of_file_are_refused(store, db, filename, data):
    refused(store, filename, data)

    assert evidence_count(db) == 0


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(app, store, db, upload_dir):
    app.config["MAX_UPLOAD_MB"] = 1
    data = PDF + b"0" * (1024 * 1024 + 512 * 1024)

    message = refused(store, "stor.pdf", data)

    assert "1 MB" in message
    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []


def test_an_empty_file_is_refused(store, db):
    refused(store, "tom.jpg", b"")

    assert evidence_count(db) == 0


def test_a_truncated_jpeg_is_refused(store, db, upload_dir):
    data = jpeg(size=(800, 600), color="green", quality=95)

    refused(store, "trasig.jpg", data[: len(data) // 2])

    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []


def test_jpeg_magic_bytes_followed_by_garbage_are_refused(store, db):
    refused(store, "falsk.jpg", b"\xff\xd8\xff" + b"not really a picture" * 50)

    assert evidence_count(db) == 0


def test_an_image_above_pillows_pixel_limit_is_refused_not_just_warned_about(store, db, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    data = jpeg(size=(150, 100))  # above the limit, below twice it: Pillow itself only warns

    with pytest.warns(Image.DecompressionBombWarning):
        refused(store, "stor.jpg", data)

    assert evidence_count(db) == 0


def test_a_decompression_bomb_is_refused(store, db, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)

    refused(store, "bomb.png", jpeg(size=(400, 400)))

    assert evidence_count(db) == 0


def test_evidence_cannot_be_added_once_the_report_is_out_for_comment(make_visit, db):
    visit = make_visit("sent_for_comment")

    with pytest.raises(DomainError) as caught:
        evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="sent.jpg", data=jpeg())

    assert caught.value.status == 409
    assert evidence_count(db) == 0


def test_a_reviewer_not_on_the_team_may_not_add_evidence(visit, make_user, db):
    with pytest.raises(DomainError) as caught:
        evidence.store_upload(visit.findings[0].id, actor=make_user("reviewer"), filename="a.jpg", data=jpeg())

    assert caught.value.status == 403
    assert evidence_count(db) == 0


# ---- files follow the transaction -----------------------------------------------------------------


def test_a_rolled_back_upload_leaves_no_file(store, db, upload_dir):
    store("IMG_0005.jpg", jpeg())
    assert len(files_in(upload_dir)) == 2

    db.session.rollback()

    assert files_in(upload_dir) == []


def test_a_rolled_back_savepoint_removes_only_its_own_files(store, db, upload_dir):
    kept = store("kept.pdf", PDF)
    savepoint = db.session.begin_nested()
    store("dropped.pdf", PDF)
    savepoint.rollback()
    db.session.commit()

    assert files_in(upload_dir) == [upload_dir / kept.storage_name]


def test_deleting_evidence_removes_the_row_and_then_its_files(store, visit, db, upload_dir):
    item = store("IMG_0006.jpg", jpeg())
    db.session.commit()

    evidence.delete_evidence(item.id, actor=visit.lead)
    assert len(files_in(upload_dir)) == 2  # still there until the removal is committed
    db.session.commit()

    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []


def test_a_rolled_back_deletion_keeps_the_files(store, visit, db, upload_dir):
    item = store("IMG_0007.jpg", jpeg())
    db.session.commit()

    evidence.delete_evidence(item.id, actor=visit.lead)
    db.session.rollback()
    db.session.commit()

    assert evidence_count(db) == 1
    assert len(files_in(upload_dir)) == 2


# ---- through the browser --------------------------------------------------------------------------


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def fetch(browser, url: str):
    """GET a served file, read whole, so the file it came from is closed again."""
    return browser.get(url, buffered=True)


def send_files(browser, url: str, files: list[tuple[str, bytes]], **fields: str):
    """A form with ``files`` (several allowed) and its CSRF token, encoded in memory (the test client would
    spool a large body to a temporary file it never closes)."""
    values = MultiDict([("csrf_token", browser.token()), *fields.items()])
    for name, data in files:
        values.add("files", FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream"))
    boundary, body = encode_multipart(values)
    return browser.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_team_member_uploads_two_photos_at_once(browser, visit, db, upload_dir):
    finding = visit.findings[0]
    browser.login(visit.lead)

    response = send_files(
        browser, f"/findings/{finding.id}/evidence", [("IMG_1.jpg", jpeg(color="red")), ("IMG_2.HEIC", heic())]
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/visits/{visit.id}"
    rows = db.session.scalars(select(Evidence).where(Evidence.finding_id == finding.id)).all()
    assert sorted(r.original_name for r in rows) == ["IMG_1.jpg", "IMG_2.HEIC"]
    assert {r.content_type for r in rows} == {"image/jpeg"}
    assert {r.uploaded_by_id for r in rows} == {visit.lead.id}
    assert len(files_in(upload_dir)) == 4
    assert [category for category, _message in flashes(browser.client)] == ["success"]


def test_one_refused_file_stores_none_of_the_upload(browser, visit, db, upload_dir):
    browser.login(visit.lead)

    response = send_files(
        browser, f"/findings/{visit.findings[0].id}/evidence", [("IMG_1.jpg", jpeg()), ("IMG_2.jpg", HTML)]
    )

    assert response.status_code == 302
    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []
    ((category, message),) = flashes(browser.client)
    assert category == "error" and "IMG_2.jpg" in message


def test_an_oversize_file_is_refused_through_the_browser_with_the_limit(app, browser, visit, db):
    app.config["MAX_UPLOAD_MB"] = 1
    browser.login(visit.lead)

    response = send_files(
        browser, f"/findings/{visit.findings[0].id}/evidence", [("stor.pdf", PDF + b"0" * (1536 * 1024))]
    )

    assert response.status_code == 302
    ((category, message),) = flashes(browser.client)
    assert category == "error" and "1 MB" in message
    assert evidence_count(db) == 0


def test_an_upload_without_a_csrf_token_is_refused(client, browser, visit, db):
    browser.login(visit.lead)

    response = client.post(
        f"/findings/{visit.findings[0].id}/evidence", data={"files": [(io.BytesIO(jpeg()), "IMG_1.jpg")]}
    )

    assert response.status_code == 400
    assert evidence_count(db) == 0


def test_after_an_upload_a_local_next_is_followed_and_another_site_is_not(browser, visit):
    browser.login(visit.lead)
    url = f"/findings/{visit.findings[0].id}/evidence"
    local = f"/visits/{visit.id}/site?area=other#findings"

    followed = send_files(browser, url, [("a.jpg", jpeg())], next=local)
    for target in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/x"):
        ignored = send_files(browser, url, [("b.jpg", jpeg())], next=target)
        assert ignored.headers["Location"] == f"/visits/{visit.id}"

    assert followed.headers["Location"] == local


def test_a_reviewer_not_on_the_team_can_view_but_not_upload(browser, visit, make_user, db):
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="a.jpg", data=jpeg())
    db.session.commit()
    browser.login(make_user("reviewer", name="Rita Reviewer"))

    assert fetch(browser, f"/evidence/{item.id}").status_code == 200
    assert fetch(browser, f"/evidence/{item.id}/thumb").status_code == 200
    response = send_files(browser, f"/findings/{visit.findings[0].id}/evidence", [("b.jpg", jpeg())])
    assert response.status_code == 403
    assert evidence_count(db) == 1


@pytest.mark.parametrize("status", ["in_progress", "draft"])
def test_the_unit_sees_evidence_only_from_kommunicering_on(status, browser, make_visit, make_unit, make_user, db):
    unit = make_unit()
    visit = make_visit(status, unit=unit)
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="a.jpg", data=jpeg())
    db.session.commit()
    browser.login(make_user("unit_member", units=[unit]))

    assert fetch(browser, f"/evidence/{item.id}").status_code == 404
    assert fetch(browser, f"/evidence/{item.id}/thumb").status_code == 404

    to_comment(visit)
    db.session.commit()

    assert fetch(browser, f"/evidence/{item.id}").status_code == 200
    assert fetch(browser, f"/evidence/{item.id}/thumb").status_code == 200


def test_a_member_of_another_unit_never_sees_evidence(browser, make_visit, make_unit, make_user, db):
    visit = make_visit("draft")
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="a.jpg", data=jpeg())
    db.session.commit()
    browser.login(make_user("unit_member", units=[make_unit()]))

    assert fetch(browser, f"/evidence/{item.id}").status_code == 404
    to_comment(visit)
    db.session.commit()
    assert fetch(browser, f"/evidence/{item.id}").status_code == 404
    assert fetch(browser, f"/evidence/{item.id}/thumb").status_code == 404


def test_a_photo_is_served_inline_with_protective_headers(browser, store, visit, db):
    item = store("Brandsläckare kök.jpg", jpeg())
    db.session.commit()
    browser.login(visit.lead)

    response = fetch(browser, f"/evidence/{item.id}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''Brandsl%C3%A4ckare%20k%C3%B6k.jpg" in disposition
    assert response.data == (Path(files.storage_dir()) / item.storage_name).read_bytes()


def test_a_pdf_is_served_as_a_download(browser, store, visit, db):
    item = store("Rutin.pdf", PDF)
    db.session.commit()
    browser.login(visit.lead)

    response = fetch(browser, f"/evidence/{item.id}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=Rutin.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == PDF
    assert fetch(browser, f"/evidence/{item.id}/thumb").status_code == 404


def test_a_thumbnail_is_served_as_jpeg(browser, store, visit, db):
    item = store("skärmbild.png", png_with_text())
    db.session.commit()
    browser.login(visit.lead)

    response = fetch(browser, f"/evidence/{item.id}/thumb")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_team_member_removes_evidence(browser, store, visit, db, upload_dir):
    item = store("IMG_0008.jpg", jpeg())
    db.session.commit()
    browser.login(visit.lead)

    response = browser.post(f"/evidence/{item.id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/visits/{visit.id}"
    assert evidence_count(db) == 0
    assert files_in(upload_dir) == []


def test_a_reviewer_not_on_the_team_may_not_remove_evidence(browser, store, make_user, db):
    item = store("IMG_0009.jpg", jpeg())
    db.session.commit()
    browser.login(make_user("reviewer"))

    assert browser.post(f"/evidence/{item.id}/delete").status_code == 403
    assert evidence_count(db) == 1
