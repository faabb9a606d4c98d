"""Uploaded files: type checked by content, size-limited, stored under generated names outside static/."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts.domain import DomainError, register_messages

register_messages({
    "upload_type": _l("Jenis berkas tidak diizinkan. Unggah PDF, PNG, JPG atau WebP."),
    "upload_size": _l("Berkas terlalu besar (maksimal %(mb)s MB)."),
    "upload_empty": _l("Berkas kosong."),
})

# (content type, extension, magic test) — SVG is refused on purpose: it can carry script
SIGNATURES = (
    ("application/pdf", "pdf", lambda b: b.startswith(b"%PDF-")),
    ("image/png", "png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", "jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("image/webp", "webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
)


class UploadError(DomainError):
    """An uploaded file was refused."""


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) decided by the bytes, never by the name the browser sent."""
    for content_type, extension, test in SIGNATURES:
        if test(data[:16]):
            if content_type == "application/pdf" and b"<script" in data[:2048].lower():
                break  # an HTML/PDF polyglot
            return content_type, extension
    raise UploadError("upload_type", "file")


def safe_name(filename: str, extension: str) -> str:
    """A display name without paths or odd characters, with the sniffed extension."""
    stem = Path((filename or "berkas").replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")[:80] or "berkas"
    return f"{stem}.{extension}"


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data: bytes, filename: str) -> tuple[str, str, str, int]:
    """Check and store bytes; returns (stored_name, display_name, content_type, size)."""
    limit_mb = current_app.config["UPLOAD_MAX_MB"]
    if not data:
        raise UploadError("upload_empty", "file")
    if len(data) > limit_mb * 1024 * 1024:
        raise UploadError("upload_size", "file", mb=limit_mb)
    content_type, extension = sniff(data)
    stored = f"{secrets.token_hex(16)}.{extension}"
    (upload_dir() / stored).write_bytes(data)
    return stored, safe_name(filename, extension), content_type, len(data)


def path_of(stored_name: str) -> Path:
    """The on-disk path of a stored file; stored names are generated, so no traversal is possible."""
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name):
        raise UploadError("upload_type")
    return upload_dir() / stored_name
