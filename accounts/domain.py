"""One DomainError for every package, and the one place that turns its codes into user messages."""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule was broken; `code` keys a message, `field` names the form field it belongs to."""

    def __init__(self, code: str, field: str | None = None, **params: object):
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


MESSAGES: dict[str, object] = {
    "email_invalid": _l("Masukkan alamat email yang valid."),
    "email_taken": _l("Email ini sudah terdaftar. Silakan masuk atau atur ulang kata sandi."),
    "name_required": _l("Nama lengkap wajib diisi."),
    "too_long": _l("Isian terlalu panjang."),
    "province_unknown": _l("Pilih provinsi dari daftar."),
    "field_unknown": _l("Pilih bidang konsultan dari daftar."),
    "phone_invalid": _l("Nomor telepon tidak dikenali. Contoh: 0812-3456-7890 atau +62 812 3456 7890."),
    "password_too_short": _l("Kata sandi minimal 8 karakter."),
    "password_too_long": _l("Kata sandi maksimal 128 karakter."),
    "password_too_common": _l("Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain."),
    "password_like_email": _l("Kata sandi tidak boleh sama dengan email."),
    "password_like_name": _l("Kata sandi tidak boleh sama dengan nama."),
    "bad_credentials": _l("Email atau kata sandi salah."),
    "current_password_wrong": _l("Kata sandi saat ini salah."),
    "token_invalid": _l("Tautan ini tidak berlaku lagi (sudah dipakai atau kedaluwarsa). Minta tautan baru."),
    "role_unknown": _l("Peran tidak dikenal."),
    "last_admin": _l("Admin terakhir tidak dapat dicabut perannya."),
    "forbidden": _l("Anda tidak memiliki akses untuk tindakan ini."),
}


def register_messages(messages: dict[str, object]) -> None:
    """Each package adds the messages of its own error codes."""
    MESSAGES.update(messages)


def message_for(exc: DomainError) -> str:
    """The translated message of an error, with its parameters filled in."""
    template = MESSAGES.get(exc.code)
    if template is None:
        return str(exc.code)
    text = str(template)
    try:
        return text % exc.params if exc.params else text
    except (KeyError, TypeError, ValueError):
        return text


def apply_to_form(form, exc: DomainError) -> None:
    """Show a domain error on its form field, or in the form's error summary when it has no field."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), message_for(exc)]
    elif form is not None:
        form.form_errors = [*list(form.form_errors or []), message_for(exc)]
    else:
        flash(message_for(exc), "error")
