"""Evidence uploads: detect a file's type from its content, never from its name.

``sniff_kind`` only looks at the first bytes, and for a DOCX at the zip's central directory
(member names): member contents are never read or decompressed, so a zip bomb costs nothing.
"""

import os
import re
import unicodedata
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_KINDS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
EXTENSIONS = {"pdf": {".pdf"}, "png": {".png"}, "jpeg": {".jpg", ".jpeg"}, "docx": {".docx"}}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_DOCX_MEMBERS = {"[Content_Types].xml", "word/document.xml"}
_HEAD_SIZE = 16
_MAX_NAME_LENGTH = 120
_MAX_EXTENSION_LENGTH = 10
_FORBIDDEN_CHARS = re.compile(r'[<>:"|?*]')


def sniff_kind(fileobj) -> str | None:
    """Return "pdf", "png", "jpeg" or "docx" from the content of ``fileobj``, else None."""
    try:
        fileobj.seek(0)
        head = fileobj.read(_HEAD_SIZE)
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(_PNG_SIGNATURE):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        # A zip must start with a local header: this rejects self-extracting executables.
        if head.startswith(_ZIP_LOCAL_HEADER) and _is_docx(fileobj):
            return "docx"
        return None
    finally:
        fileobj.seek(0)


def _is_docx(fileobj) -> bool:
    fileobj.seek(0)
    if not zipfile.is_zipfile(fileobj):
        return False
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())  # the central directory only
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return False
    return names >= _DOCX_MEMBERS


def _format_megabytes(max_bytes: int) -> str:
    value = max_bytes / (1024 * 1024)
    text = f"{max(value, 0.01):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _file_size(uploaded_file) -> int:
    size = getattr(uploaded_file, "size", None)
    if size is not None:
        return size
    uploaded_file.seek(0, os.SEEK_END)
    size = uploaded_file.tell()
    uploaded_file.seek(0)
    return size


def check_upload(uploaded_file, *, max_bytes: int) -> str:
    """Return the kind of an uploaded evidence file or raise ``ValidationError`` (in French)."""
    name = safe_filename(uploaded_file.name or "")
    size = _file_size(uploaded_file)
    if size > max_bytes:
        raise ValidationError(
            _("Le fichier « %(name)s » dépasse la taille maximale de %(size)s Mo."),
            code="file_too_large",
            params={"name": name, "size": _format_megabytes(max_bytes)},
        )
    if size == 0:
        raise ValidationError(_("Le fichier « %(name)s » est vide."), code="file_empty", params={"name": name})
    kind = sniff_kind(uploaded_file)
    if kind is None:
        raise ValidationError(
            _("Le fichier « %(name)s » n'est pas d'un type accepté (PDF, PNG, JPEG ou DOCX)."),
            code="file_type",
            params={"name": name},
        )
    extension = os.path.splitext(name)[1].lower()  # the name as it will be stored
    if extension not in EXTENSIONS[kind]:
        raise ValidationError(
            _("Le contenu du fichier « %(name)s » ne correspond pas à son extension."),
            code="file_extension_mismatch",
            params={"name": name},
        )
    return kind


def safe_filename(name: str) -> str:
    """A readable base name: no directories or control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Drop control and format characters (including bidi overrides such as U+202E).
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"})
    name = _FORBIDDEN_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    base, extension = os.path.splitext(name)
    if len(extension) > _MAX_EXTENSION_LENGTH:
        base, extension = name, ""
    base = base.strip(" .") or "fichier"
    base = base[: _MAX_NAME_LENGTH - len(extension)].rstrip(" .") or "fichier"
    return base + extension
