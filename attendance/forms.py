"""Forms of the attendance area; labels go through the translation catalogue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from accounts.forms import REQUIRED, province_choices

ZONE_CHOICES = [("Asia/Jakarta", _l("WIB (Asia/Jakarta)")), ("Asia/Makassar", _l("WITA (Asia/Makassar)")),
                ("Asia/Jayapura", _l("WIT (Asia/Jayapura)"))]
STATUS_CHOICES = [("present", _l("Hadir")), ("late", _l("Terlambat")), ("excused", _l("Izin")),
                  ("absent", _l("Tidak hadir"))]
TIME_BAD = _l("Jam tidak valid (format JJ:MM).")
DATE_BAD = _l("Tanggal tidak valid (format TTTT-BB-HH).")
NUMBER = _l("Masukkan angka yang valid.")


class SessionForm(FlaskForm):
    title = StringField(_l("Judul sesi"), validators=[DataRequired(REQUIRED), Length(max=200)])
    speakers = StringField(_l("Pembicara"), validators=[Optional(), Length(max=300)],
                           description=_l("Pisahkan beberapa nama dengan koma."))
    day = DateField(_l("Tanggal"), validators=[DataRequired(DATE_BAD)], format="%Y-%m-%d")
    start = TimeField(_l("Jam mulai"), validators=[DataRequired(TIME_BAD)], format="%H:%M")
    end = TimeField(_l("Jam selesai"), validators=[DataRequired(TIME_BAD)], format="%H:%M",
                    description=_l("Jam selesai lebih awal dari jam mulai berarti sesi berakhir lewat tengah malam."))
    timezone = SelectField(_l("Zona waktu sesi"), choices=ZONE_CHOICES)
    meeting_url = StringField(_l("Tautan meeting (Zoom)"), validators=[Optional(), Length(max=500)],
                              description=_l("Hanya terlihat oleh peserta angkatan ini dan staf."))
    meeting_id = StringField(_l("ID meeting Zoom (opsional)"), validators=[Optional(), Length(max=20)],
                             description=_l("Dipakai untuk memeriksa laporan peserta Zoom yang diunggah."))
    materials = TextAreaField(_l("Materi"), validators=[Optional(), Length(max=10000)],
                              description=_l("Satu materi per baris; alamat web di akhir baris menjadi tautan."))
    recording_url = StringField(_l("Tautan rekaman (setelah sesi)"), validators=[Optional(), Length(max=500)])


class NewSessionForm(SessionForm):
    repeat_count = IntegerField(_l("Jumlah sesi"), validators=[Optional(), NumberRange(1, 60, NUMBER)], default=1,
                                description=_l("Lebih dari 1 membuat sesi berulang sekaligus, misalnya 7 sesi harian."))
    repeat_every = SelectField(_l("Berulang"), choices=[("daily", _l("setiap hari")),
                                                        ("weekdays", _l("setiap hari kerja (Senin–Jumat)")),
                                                        ("weekly", _l("setiap minggu"))])


class CheckinForm(FlaskForm):
    code = StringField(_l("Kode check-in"), validators=[DataRequired(_l("Masukkan kode check-in dari layar.")),
                                                         Length(max=20)],
                       description=_l("6 huruf/angka yang tampil di layar Zoom."))
    ticket = HiddenField()


class MarkForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    minutes = IntegerField(_l("Menit hadir (opsional)"), validators=[Optional(), NumberRange(0, 1440, NUMBER)])
    reason = TextAreaField(_l("Alasan perubahan"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class BulkMarkForm(FlaskForm):
    status = SelectField(_l("Tandai yang dipilih sebagai"), choices=STATUS_CHOICES)
    reason = StringField(_l("Alasan"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class ZoomUploadForm(FlaskForm):
    file = FileField(_l("Laporan peserta Zoom (CSV)"), validators=[FileRequired(_l("Pilih berkas."))],
                     description=_l("Zoom: Laporan → Penggunaan → Peserta → Ekspor. Kedua tata letak (dengan atau "
                                    "tanpa ringkasan meeting), judul kolom bahasa Indonesia atau Inggris."))
    report_zone = SelectField(_l("Zona waktu laporan"), choices=[("", _l("Sama dengan zona sesi")), *ZONE_CHOICES],
                              validators=[Optional()])
    date_order = SelectField(_l("Urutan tanggal"), choices=[("", _l("Otomatis")),
                                                            ("dayfirst", _l("Hari/bulan (02/06/2022)")),
                                                            ("monthfirst", _l("Bulan/hari (06/02/2022)"))],
                             validators=[Optional()])


class ResolveForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    user_id = HiddenField()
    email = StringField(_l("atau email peserta"), validators=[Optional(), Length(max=254)])


class ExcuseForm(FlaskForm):
    reason = TextAreaField(_l("Alasan tidak hadir"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    letter = FileField(_l("Surat (opsional: PDF, PNG, JPG atau WebP)"))


class DecideForm(FlaskForm):
    decision = SelectField(_l("Keputusan"), choices=[("approve", _l("Setujui (Izin)")), ("decline", _l("Tolak"))])
    reply = TextAreaField(_l("Balasan untuk peserta"), validators=[Optional(), Length(max=2000)],
                          description=_l("Wajib bila izin ditolak."))


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    province = SelectField(_l("Provinsi"), choices=province_choices, validators=[Optional()])
    plut = StringField(_l("Unit PLUT"), validators=[Optional(), Length(max=120)])
    q = StringField(_l("Nama atau email"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=[("", _l("Semua")), *STATUS_CHOICES, ("none", _l("Belum dicatat"))],
                         validators=[Optional()])
    below = BooleanField(_l("Hanya di bawah syarat sertifikat"))
