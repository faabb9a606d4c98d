"""Course, module, cohort and enrolment forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from accounts.forms import REQUIRED, province_choices

ZONE_CHOICES = [("Asia/Jakarta", "WIB (Asia/Jakarta)"), ("Asia/Makassar", "WITA (Asia/Makassar)"),
                ("Asia/Jayapura", "WIT (Asia/Jayapura)")]
NUMBER = _l("Masukkan angka yang valid.")
DATE = _l("Tanggal tidak valid (format TTTT-BB-HH).")


class CourseForm(FlaskForm):
    title = StringField(_l("Judul kursus"), validators=[DataRequired(REQUIRED), Length(max=200)])
    slug = StringField(_l("Slug (alamat)"), validators=[Optional(), Length(max=80)],
                       description=_l("Huruf kecil, angka, tanda hubung. Kosongkan agar dibuat dari judul."))
    summary = TextAreaField(_l("Ringkasan"), validators=[Optional(), Length(max=2000)])
    language = SelectField(_l("Bahasa"), choices=[("id", "Bahasa Indonesia"), ("en", "English")])
    hours_jp = IntegerField(_l("Jam pelajaran (JP)"), validators=[Optional(), NumberRange(0, 500, NUMBER)], default=0)
    jp_minutes = IntegerField(_l("Panjang 1 JP (menit)"), validators=[Optional(), NumberRange(10, 120, NUMBER)],
                              default=45)
    valid_as_of = DateField(_l("Berlaku per (tanggal aturan diperiksa)"), validators=[Optional()],
                            format="%Y-%m-%d")
    sequential = BooleanField(_l("Modul terbuka berurutan"))
    intro_md = TextAreaField(_l("Pengantar (Markdown)"), validators=[Optional(), Length(max=50000)])


class ModuleForm(FlaskForm):
    title = StringField(_l("Judul modul"), validators=[DataRequired(REQUIRED), Length(max=200)])
    slug = StringField(_l("Slug"), validators=[Optional(), Length(max=80)])
    body_md = TextAreaField(_l("Isi (Markdown)"), validators=[Optional(), Length(max=200000)],
                            description=_l("Tabel, gambar (assets/nama-berkas), catatan kaki [^1], dan kotak "
                                           "!!! penting \"Judul\" / !!! catatan \"Judul\" didukung."))
    reading_minutes = IntegerField(_l("Perkiraan waktu baca (menit)"),
                                   validators=[Optional(), NumberRange(1, 600, NUMBER)])
    checked_on = DateField(_l("Aturan diperiksa per"), validators=[Optional()], format="%Y-%m-%d")
    summary_en = TextAreaField(_l("Ringkasan bahasa Inggris"), validators=[Optional(), Length(max=4000)])
    must_reread = BooleanField(_l("Perubahan penting: peserta wajib membaca ulang setelah terbit"))


class PublishForm(FlaskForm):
    change_note = TextAreaField(_l("Catatan perubahan"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("Berkas (PDF, PNG, JPG, WebP)"), validators=[FileRequired(_l("Pilih berkas."))])


class PackageImportForm(FlaskForm):
    file = FileField(_l("Paket kursus (.zip)"), validators=[FileRequired(_l("Pilih berkas."))])


class CohortForm(FlaskForm):
    name = StringField(_l("Nama angkatan"), validators=[DataRequired(REQUIRED), Length(max=200)])
    starts_on = DateField(_l("Tanggal mulai"), validators=[DataRequired(DATE)], format="%Y-%m-%d")
    ends_on = DateField(_l("Tanggal selesai"), validators=[DataRequired(DATE)], format="%Y-%m-%d")
    timezone = SelectField(_l("Zona waktu"), choices=ZONE_CHOICES)
    capacity = IntegerField(_l("Kuota peserta (kosongkan bila tanpa batas)"),
                            validators=[Optional(), NumberRange(1, 1000000, NUMBER)])
    enrol_mode = SelectField(_l("Cara pendaftaran"), choices=[
        ("code", _l("Terbuka dengan kode pendaftaran")), ("organiser", _l("Hanya didaftarkan penyelenggara"))])
    certificate_approval = BooleanField(_l("Sertifikat perlu persetujuan penyelenggara"))


class NewCohortForm(CohortForm):
    course_id = SelectField(_l("Kursus"), coerce=int)


class JoinForm(FlaskForm):
    code = StringField(_l("Kode pendaftaran"), validators=[DataRequired(REQUIRED), Length(max=20)])


class ParticipantImportForm(FlaskForm):
    file = FileField(_l("Daftar peserta (CSV atau XLSX)"), validators=[FileRequired(_l("Pilih berkas."))],
                     description=_l("Kolom: nama, email, telepon, provinsi, unit PLUT. "
                                    "Baris pertama adalah judul kolom."))


class ProgressFilterForm(FlaskForm):
    class Meta:
        csrf = False

    province = SelectField(_l("Provinsi"), choices=province_choices, validators=[Optional()])
    plut = StringField(_l("Unit PLUT"), validators=[Optional(), Length(max=120)])
    q = StringField(_l("Nama atau email"), validators=[Optional(), Length(max=100)])
