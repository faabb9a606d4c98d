"""The funnel's steps, each answered by the owning capability's services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from attendance.funnel import attendance_met_select
from certificates.services import certified_select
from courses import progress
from quizzes.results import passed_kind_select
from reports.funnel import FunnelStep

STEP_LABELS = {"registered": _l("Terdaftar")}


def _enrolled(ids):
    return select(ids.c.id)


STEPS: list[FunnelStep] = [
    FunnelStep("enrolled", _l("Terdaftar di angkatan"), 10, _enrolled),
    FunnelStep("started", _l("Mulai belajar"), 20, progress.started_select),
    FunnelStep("modules_complete", _l("Semua modul selesai"), 30, progress.all_modules_done_select),
    FunnelStep("attendance_met", _l("Kehadiran terpenuhi"), 40, attendance_met_select),
    FunnelStep("final_passed", _l("Lulus tes akhir"), 50, passed_kind_select),
    FunnelStep("certified", _l("Bersertifikat"), 70, certified_select),
]
