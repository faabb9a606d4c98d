"""Account forms; labels go through the translation catalogue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from accounts.passwords import MAX_LENGTH, MIN_LENGTH
from accounts.provinces import PROVINCES
from accounts.roles import CONSULTANT_FIELDS, ROLE_LABELS

REQUIRED = _l("Wajib diisi.")
EMAIL_BAD = _l("Masukkan alamat email yang valid.")


def province_choices() -> list[tuple[str, str]]:
    return [("", _l("— Pilih provinsi —")), *[(p, p) for p in PROVINCES]]


def field_choices() -> list[tuple[str, str]]:
    return [("", _l("— Pilih bidang —")), *CONSULTANT_FIELDS.items()]


class ProfileFields(FlaskForm):
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = TelField(_l("Nomor HP (opsional)"), validators=[Optional(), Length(max=25)],
                     description=_l("Contoh: 0812-3456-7890"))
    province = SelectField(_l("Provinsi"), choices=province_choices,
                           validators=[DataRequired(_l("Pilih provinsi dari daftar."))])
    plut_unit = StringField(_l("Unit PLUT atau kota/kabupaten"),
                            validators=[DataRequired(REQUIRED), Length(max=120)])
    consultant_field = SelectField(_l("Bidang konsultan"), choices=field_choices,
                                   validators=[DataRequired(_l("Pilih bidang konsultan dari daftar."))])


class RegisterForm(ProfileFields):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(EMAIL_BAD), Length(max=254)])
    password = PasswordField(
        _l("Kata sandi"),
        validators=[DataRequired(REQUIRED), Length(min=MIN_LENGTH, max=MAX_LENGTH,
                                                   message=_l("Kata sandi 8–128 karakter."))],
        description=_l("Minimal 8 karakter. Hindari kata sandi yang umum."),
    )
    password_confirm = PasswordField(
        _l("Ulangi kata sandi"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Kedua kata sandi tidak sama."))],
    )


class ProfileForm(ProfileFields):
    locale = SelectField(_l("Bahasa"), choices=[("id", "Bahasa Indonesia"), ("en", "English")])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Ingat saya di perangkat ini"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(REQUIRED), Length(min=MIN_LENGTH, max=MAX_LENGTH,
                                                   message=_l("Kata sandi 8–128 karakter."))],
    )
    new_password_confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(REQUIRED), EqualTo("new_password", _l("Kedua kata sandi tidak sama."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(EMAIL_BAD), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(REQUIRED), Length(min=MIN_LENGTH, max=MAX_LENGTH,
                                                   message=_l("Kata sandi 8–128 karakter."))],
    )
    password_confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Kedua kata sandi tidak sama."))],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Peran"), choices=list(ROLE_LABELS.items()))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cari nama atau email"), validators=[Optional(), Length(max=100)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""
