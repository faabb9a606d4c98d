"""Certificate forms: verify a code, filter lists, revoke and re-issue with a reason, registry opt-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from accounts.forms import REQUIRED, province_choices


class VerifyForm(FlaskForm):
    """Typed code; a GET form, so the result page has a shareable address and needs no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(_l("Kode verifikasi"), validators=[DataRequired(REQUIRED), Length(max=84)],
                       description=_l("28 huruf dan angka yang tercetak di bawah kode QR, misalnya "
                                      "K7QX-M2PD-…. Tanda hubung dan spasi boleh diketik atau tidak."))


STATE_CHOICES = [
    ("", _l("Semua peserta")),
    ("eligible", _l("Memenuhi syarat, belum terbit")),
    ("awaiting_approval", _l("Menunggu persetujuan")),
    ("issued", _l("Sertifikat terbit")),
    ("not_met", _l("Belum memenuhi syarat")),
]


class EligibilityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("Status"), choices=STATE_CHOICES, validators=[Optional()])
    province = SelectField(_l("Provinsi"), choices=province_choices, validators=[Optional()])
    q = StringField(_l("Nama atau email"), validators=[Optional(), Length(max=100)])


class CertificateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Nomor sertifikat atau nama pemegang"), validators=[Optional(), Length(max=100)])


class RegistryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    province = SelectField(_l("Provinsi"), choices=province_choices, validators=[Optional()])
    plut = StringField(_l("Unit PLUT"), validators=[Optional(), Length(max=120)])
    q = StringField(_l("Nama"), validators=[Optional(), Length(max=100)])


REASON_HINT = _l("Dicatat di log audit; tidak ditampilkan di halaman verifikasi.")


class RevokeForm(FlaskForm):
    """Revoke a certificate (the detail page also holds the re-issue form: each reason has its own label)."""

    reason = TextAreaField(_l("Alasan pencabutan"), validators=[DataRequired(REQUIRED), Length(max=500)],
                           description=REASON_HINT)


class ReissueForm(FlaskForm):
    reason = TextAreaField(_l("Alasan penerbitan ulang"), validators=[DataRequired(REQUIRED), Length(max=500)],
                           description=REASON_HINT)


class RegistryForm(FlaskForm):
    listed = BooleanField(_l("Tampilkan nama saya di daftar publik konsultan bersertifikat"))
