"""Evidence upload checks, with real small files built here."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fairplace.core.files import ALLOWED_KINDS, EXTENSIONS, check_upload, safe_filename, sniff_kind

MAX = 10 * 1024 * 1024


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png() -> bytes:
    """A valid 1x1 white RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def make_jpeg() -> bytes:
    """SOI, a JFIF APP0 segment, a comment segment and EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"fairplace"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + b"\xff\xd9"
    )


def make_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def make_docx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            + ALLOWED_KINDS["docx"].encode()
            + b'.main+xml"/></Types>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="urn:w"><w:body/></w:document>',
        }
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def message(name: str, content: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload(name, content), max_bytes=max_bytes)
    [text] = excinfo.value.messages
    return text


@pytest.mark.parametrize(
    ("content", "kind"),
    [(make_pdf(), "pdf"), (make_png(), "png"), (make_jpeg(), "jpeg"), (make_docx(), "docx")],
)
def test_sniff_kind_recognises_real_files(content, kind):
    fileobj = io.BytesIO(content)
    fileobj.seek(5)
    assert sniff_kind(fileobj) == kind
    assert fileobj.tell() == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,  # legacy .doc (OLE2)
        make_zip({"readme.txt": b"hello", "[Content_Types].xml": b"<Types/>"}),  # a zip, not a docx
        make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),  # xlsx
        b"MZ\x90\x00\x03" + b"\x00" * 200,  # Windows executable
        b"MZ\x90\x00" + b"\x00" * 60 + make_docx(),  # executable with a docx appended
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        b"<!DOCTYPE html><html><body>Facture</body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        make_docx()[:200],  # truncated zip
        b"GIF89a\x01\x00\x01\x00",
    ],
    ids=["empty", "doc", "zip", "xlsx", "exe", "exe-docx", "elf", "html", "svg", "truncated-zip", "gif"],
)
def test_sniff_kind_rejects(content):
    fileobj = io.BytesIO(content)
    assert sniff_kind(fileobj) is None
    assert fileobj.tell() == 0


def test_sniff_docx_reads_member_names_only(monkeypatch):
    docx = io.BytesIO(make_docx())

    def forbidden(*args, **kwargs):
        raise AssertionError("member contents must not be read")

    monkeypatch.setattr(zipfile.ZipFile, "open", forbidden)
    monkeypatch.setattr(zipfile.ZipFile, "read", forbidden)
    assert sniff_kind(docx) == "docx"


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("facture.pdf", make_pdf(), "pdf"),
        ("Capture.PNG", make_png(), "png"),
        ("photo.jpg", make_jpeg(), "jpeg"),
        ("photo.jpeg", make_jpeg(), "jpeg"),
        ("courrier.docx", make_docx(), "docx"),
    ],
)
def test_check_upload_accepts(name, content, kind):
    uploaded = upload(name, content)
    assert check_upload(uploaded, max_bytes=MAX) == kind
    assert kind in EXTENSIONS and uploaded.tell() == 0


def test_text_renamed_pdf_is_not_accepted():
    assert message("facture.pdf", b"just some text") == (
        "Le fichier « facture.pdf » n'est pas d'un type accepté (PDF, PNG, JPEG ou DOCX)."
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("contrat.zip", make_zip({"a.txt": b"a"})), ("note.xlsx", make_zip({"xl/workbook.xml": b"<w/>"}))],
)
def test_other_zips_are_not_accepted(name, content):
    assert "n'est pas d'un type accepté" in message(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("capture.pdf", make_png()),
        ("photo.png", make_jpeg()),
        ("courrier.pdf", make_docx()),
        ("facture", make_pdf()),
    ],
)
def test_content_must_match_extension(name, content):
    assert message(name, content) == f"Le contenu du fichier « {name} » ne correspond pas à son extension."


def test_empty_file():
    assert message("vide.pdf", b"") == "Le fichier « vide.pdf » est vide."


def test_too_large():
    assert message("gros.pdf", make_pdf(), max_bytes=100) == (
        "Le fichier « gros.pdf » dépasse la taille maximale de 0,01 Mo."
    )
    content = b"%PDF-1.4\n" + b"0" * MAX
    assert message("énorme.pdf", content) == "Le fichier « énorme.pdf » dépasse la taille maximale de 10 Mo."
    assert "de 1,5 Mo." in message("gros.pdf", content, max_bytes=3 * 512 * 1024)


def test_exact_limit_is_accepted():
    content = make_png()
    assert check_upload(upload("ok.png", content), max_bytes=len(content)) == "png"


def test_message_uses_a_safe_name():
    assert message("../../secret\x00.pdf", b"text").startswith("Le fichier « secret.pdf » ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("facture.pdf", "facture.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\léa\\Reçu été.PDF", "Reçu été.PDF"),
        ("fac\x00ture\r\n.pdf", "facture.pdf"),
        ("\u202efdp.exe", "fdp.exe"),
        ("  .hidden.docx", "hidden.docx"),
        ('a<b>:"c|d?*.png', "a_b___c_d__.png"),
        ("", "fichier"),
        ("/tmp/", "fichier"),
        (".pdf", "pdf"),
    ],
)
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected


def test_safe_filename_keeps_extension_when_truncating():
    name = safe_filename("a" * 300 + ".docx")
    assert len(name) == 120 and name.endswith("a.docx")
    assert len(safe_filename("b" * 300)) == 120
    assert safe_filename("x." + "y" * 200) == ("x." + "y" * 200)[:120]
