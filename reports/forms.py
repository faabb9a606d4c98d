"""Report filters (GET forms, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from accounts.forms import field_choices, province_choices


class FunnelFilterForm(FlaskForm):
    class Meta:
        csrf = False

    cohort = SelectMultipleField(_l("Angkatan"), coerce=int, validators=[Optional()])
    province = SelectField(_l("Provinsi"), choices=province_choices, validators=[Optional()])
    plut = StringField(_l("Unit PLUT"), validators=[Optional(), Length(max=120)])
    field = SelectField(_l("Bidang konsultan"), choices=field_choices, validators=[Optional()])
    by = SelectField(_l("Rincian per"), choices=[("province", _l("Provinsi")), ("plut", _l("Unit PLUT"))],
                     default="province")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Tindakan (mis. roles.changed)"), validators=[Optional(), Length(max=60)])
    actor = StringField(_l("Pelaku (email)"), validators=[Optional(), Length(max=254)])
    target = StringField(_l("Sasaran (jenis atau id)"), validators=[Optional(), Length(max=64)])
