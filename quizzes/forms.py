"""Trainer forms: quiz settings, the question editor, GIFT import, windows and overrides.

The consultant's attempt page is a plain form (its fields depend on the drawn questions); CSRFProtect checks it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from accounts.forms import REQUIRED

NUMBER = _l("Masukkan angka yang valid.")
DATETIME = _l("Tanggal dan jam tidak valid.")

KIND_CHOICES = [("module", _l("Kuis modul")), ("pretest", _l("Pre-test")), ("posttest", _l("Post-test")),
                ("final", _l("Ujian akhir"))]
KIND_LABELS = dict(KIND_CHOICES)
GRADING_CHOICES = [("highest", _l("Nilai tertinggi")), ("last", _l("Nilai percobaan terakhir"))]
LAYOUT_CHOICES = [("all", _l("Semua soal dalam satu halaman")), ("one", _l("Satu soal per halaman"))]
REVIEW_WHEN_CHOICES = [("immediately", _l("Langsung setelah dikirim")),
                       ("after_close", _l("Setelah jendela kuis ditutup")), ("never", _l("Tidak pernah"))]
REVIEW_SHOW_CHOICES = [("score", _l("Nilai")), ("correctness", _l("Benar/salah per soal")),
                       ("answers", _l("Kunci jawaban")), ("feedback", _l("Umpan balik dan penjelasan"))]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False, html_tag="ul")
    option_widget = CheckboxInput()


class QuizForm(FlaskForm):
    title = StringField(_l("Judul kuis"), validators=[DataRequired(REQUIRED), Length(max=200)])
    slug = StringField(_l("Slug (alamat)"), validators=[DataRequired(REQUIRED), Length(max=80)],
                       description=_l("Huruf kecil, angka, tanda hubung. Contoh: kuis-modul-1"))
    kind = SelectField(_l("Jenis"), choices=KIND_CHOICES)
    module_id = SelectField(_l("Modul (untuk kuis modul)"), coerce=int, validate_choice=False)
    pass_mark = FloatField(_l("Nilai lulus (%)"), validators=[Optional(), NumberRange(0, 100, NUMBER)],
                           description=_l("Kosongkan bila tidak ada nilai lulus (mis. pre-test)."))
    time_limit_minutes = IntegerField(_l("Batas waktu (menit, 0 = tanpa batas)"), default=0,
                                      validators=[Optional(), NumberRange(0, 1440, NUMBER)])
    attempts_allowed = IntegerField(_l("Jumlah percobaan (0 = tanpa batas)"), default=0,
                                    validators=[Optional(), NumberRange(0, 100, NUMBER)])
    grading = SelectField(_l("Nilai yang dipakai"), choices=GRADING_CHOICES)
    shuffle_questions = BooleanField(_l("Acak urutan soal"))
    shuffle_options = BooleanField(_l("Acak urutan pilihan jawaban"))
    layout = SelectField(_l("Tata letak"), choices=LAYOUT_CHOICES)
    review_when = SelectField(_l("Kapan peserta melihat hasil"), choices=REVIEW_WHEN_CHOICES)
    review_show = MultiCheckboxField(_l("Yang ditampilkan saat tinjauan"), choices=REVIEW_SHOW_CHOICES)
    mode = RadioField(_l("Soal"), choices=[("fixed", _l("Soal tetap dari bank")),
                                           ("draw", _l("Acak N soal dari bank menurut tag"))], default="fixed")
    question_uids = TextAreaField(_l("ID soal tetap, satu per baris"), validators=[Optional(), Length(max=20000)])
    draw_count = IntegerField(_l("Jumlah soal yang diacak"), validators=[Optional(), NumberRange(1, 500, NUMBER)])
    draw_tags = StringField(_l("Tag (pisahkan dengan koma; kosong = semua soal)"),
                            validators=[Optional(), Length(max=500)])


class QuestionForm(FlaskForm):
    yaml = TextAreaField(_l("Soal (YAML, format berkas kuis)"), validators=[DataRequired(REQUIRED),
                                                                           Length(max=50000)])
    case_id = StringField(_l("ID studi kasus (opsional)"), validators=[Optional(), Length(max=80)])
    case_title = StringField(_l("Judul studi kasus"), validators=[Optional(), Length(max=200)])
    case_stem = TextAreaField(_l("Uraian kasus (Markdown), dipakai bersama oleh soal-soal kasus ini"),
                              validators=[Optional(), Length(max=50000)])


class GiftImportForm(FlaskForm):
    file = FileField(_l("Berkas GIFT (.txt atau .gift)"), validators=[FileRequired(_l("Pilih berkas."))])


class WindowForm(FlaskForm):
    cohort_id = SelectField(_l("Angkatan"), coerce=int, validate_choice=False)
    opens_at = DateTimeLocalField(_l("Dibuka (waktu angkatan)"), format="%Y-%m-%dT%H:%M",
                                  validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Ditutup (waktu angkatan)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])


class OverrideForm(FlaskForm):
    email = EmailField(_l("Email peserta"), validators=[DataRequired(REQUIRED), Email(), Length(max=254)])
    extra_minutes = IntegerField(_l("Tambahan waktu (menit)"), default=0,
                                 validators=[Optional(), NumberRange(0, 1440, NUMBER)])
    extra_attempts = IntegerField(_l("Tambahan percobaan"), default=0,
                                  validators=[Optional(), NumberRange(0, 100, NUMBER)])
    closes_at = DateTimeLocalField(_l("Ditutup untuk peserta ini (waktu angkatan, opsional)"),
                                   format="%Y-%m-%dT%H:%M", validators=[Optional()])
    cohort_id = SelectField(_l("Angkatan (zona waktu tanggal tutup)"), coerce=int, validate_choice=False)
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=200)])


class StatsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    cohort = SelectField(_l("Angkatan"), coerce=int, validate_choice=False, validators=[Optional()])
