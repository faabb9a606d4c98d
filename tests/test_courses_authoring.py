"""Trainers write modules, preview, publish immutable versions and read diffs."""

from __future__ import annotations

from sqlalchemy import select

from courses import progress, services
from courses.models import CourseVersion, Module
from extensions import db
from tests.conftest import login
from tests.factories import enrol, make_cohort, make_course, make_user

RICH = """# Bahan kritis

| Bahan | Titik kritis |
|---|---|
| Gelatin | Sumber hewan |

Lihat gambar ![Label halal](assets/logo.png) dan catatan kaki[^1].

!!! penting "Kesalahan umum"
    Jangan menganggap semua bahan nabati bebas titik kritis.

[^1]: Keputusan Kepala BPJPH Nomor 146 Tahun 2025.
"""


def test_trainer_creates_course_and_module_with_rich_markdown(client, trainer):
    login(client, trainer)
    response = client.post("/trainer/courses/new", data={"title": "Bimtek Halal Uji", "language": "id",
                                                         "hours_jp": 24, "jp_minutes": 45})
    assert response.status_code == 302
    course = services.get_course_by_slug("bimtek-halal-uji")
    assert course is not None and course.is_author(trainer)
    response = client.post(f"/trainer/courses/{course.slug}/modules/new",
                           data={"title": "Bahan dan titik kritis", "body_md": RICH, "save": "1"})
    assert response.status_code == 302
    module = db.session.scalar(select(Module).where(Module.course_id == course.id))
    assert "<table>" in module.body_html
    assert 'class="admonition penting"' in module.body_html
    assert 'id="fn:1"' in module.body_html
    assert f"/courses/{course.slug}/files/logo.png" in module.body_html
    assert module.reading_minutes >= 1


def test_preview_button_renders_without_saving(client, trainer):
    course = make_course(trainer, modules=1)
    module = course.modules[0]
    login(client, trainer)
    response = client.post(f"/trainer/courses/{course.slug}/modules/{module.id}",
                           data={"title": "Modul 1", "body_md": "**tebal** <script>x()</script>", "preview": "1"})
    page = response.get_data(as_text=True)
    assert "<strong>tebal</strong>" in page
    assert "<script>x()" not in page
    db.session.refresh(module)
    assert "tebal" not in module.body_md


def test_live_preview_endpoint_returns_sanitised_html(client, trainer):
    course = make_course(trainer, modules=1)
    login(client, trainer)
    data = client.post(f"/trainer/courses/{course.slug}/preview",
                       data={"body_md": "# Hai\n<img src=x onerror=alert(1)>"}).get_json()
    assert '<h1 id="hai">Hai</h1>' in data["html"]
    assert "onerror" not in data["html"]


def test_drafts_are_invisible_until_published(client, trainer, consultant):
    course = make_course(trainer, modules=2)
    cohort = make_cohort(course)
    enrol(consultant, cohort)
    module = course.modules[0]
    services.save_module(course, module, title="Modul 1 baru", body_md="Isi RAHASIA draf", slug=module.slug)
    db.session.commit()
    login(client, consultant)
    page = client.get(f"/learn/{cohort.id}/m/{module.slug}").get_data(as_text=True)
    assert "RAHASIA" not in page
    services.publish(course, trainer, "Perbaikan isi")
    db.session.commit()
    page = client.get(f"/learn/{cohort.id}/m/{module.slug}").get_data(as_text=True)
    assert "RAHASIA" in page


def test_publish_numbers_versions_and_keeps_old_ones_immutable(trainer):
    course = make_course(trainer, modules=2)
    v1 = course.latest_version
    services.save_module(course, course.modules[0], title="Modul 1", body_md="Versi dua", slug="modul-1")
    v2 = services.publish(course, trainer, "Isi diperbarui")
    db.session.commit()
    assert (v1.number, v2.number) == (1, 2)
    old = db.session.get(CourseVersion, v1.id)
    assert "Isi modul 1" in old.modules[0].body_md
    assert "Versi dua" in v2.modules[0].body_md
    changes = services.diff_versions(old, v2)
    assert len(changes) == 1 and changes[0]["status"] == "changed"
    kinds = {line["kind"] for line in changes[0]["lines"]}
    assert {"add", "del"} <= kinds


def test_diff_page_is_readable(client, trainer):
    course = make_course(trainer, modules=1)
    services.save_module(course, course.modules[0], title="Modul Satu", body_md="Baris baru", slug="modul-1")
    services.publish(course, trainer, "v2")
    db.session.commit()
    login(client, trainer)
    page = client.get(f"/trainer/courses/{course.slug}/diff?a=1&b=2").get_data(as_text=True)
    assert "Baris baru" in page and "Judul lama" in page
    assert client.get(f"/trainer/courses/{course.slug}/diff?a=1&b=9").status_code == 404


def test_progress_carries_over_unless_must_reread(trainer, consultant):
    course = make_course(trainer, modules=2)
    cohort = make_cohort(course)
    enrolment = enrol(consultant, cohort)
    for module in progress.version_modules(cohort.course_version_id):
        progress.complete_module(enrolment, module)
    db.session.commit()
    first, second = course.modules
    services.save_module(course, first, title="Modul 1", body_md="Salah ketik diperbaiki", slug=first.slug)
    services.save_module(course, second, title="Modul 2", body_md="Aturan baru 2025", slug=second.slug,
                         must_reread=True)
    services.publish(course, trainer, "v2")
    db.session.commit()
    db.session.refresh(cohort)
    modules = progress.version_modules(cohort.course_version_id)
    states = {s.module.slug: s.done for s in progress.module_states(enrolment, modules, False)}
    assert states == {"modul-1": True, "modul-2": False}


def test_reorder_and_archive(client, trainer):
    course = make_course(trainer, modules=3)
    first, second, third = course.modules
    login(client, trainer)
    client.post(f"/trainer/courses/{course.slug}/modules/{third.id}/move/up")
    client.post(f"/trainer/courses/{course.slug}/modules/{first.id}/archive")
    db.session.refresh(course)
    active = [m.slug for m in sorted(course.modules, key=lambda m: m.position) if not m.archived]
    assert active == ["modul-3", "modul-2"]
    client.post(f"/trainer/courses/{course.slug}/publish", data={"change_note": "urutan baru"})
    db.session.refresh(course)
    assert [m.slug for m in course.latest_version.modules] == ["modul-3", "modul-2"]


def test_publish_needs_a_change_note_and_modules(client, trainer):
    course = make_course(trainer, modules=0, publish=False)
    login(client, trainer)
    client.post(f"/trainer/courses/{course.slug}/publish", data={"change_note": "kosong"})
    db.session.refresh(course)
    assert course.versions == []


def test_other_trainer_cannot_edit(client, trainer):
    course = make_course(trainer)
    other = make_user("pelatih2@example.id", roles=("trainer",))
    login(client, other)
    assert client.get(f"/trainer/courses/{course.slug}").status_code == 403
    assert client.post(f"/trainer/courses/{course.slug}/publish", data={"change_note": "x"}).status_code == 403


def test_bad_slug_is_a_field_error(client, trainer):
    login(client, trainer)
    response = client.post("/trainer/courses/new", data={"title": "X", "slug": "Bukan Slug!", "language": "id"})
    assert "huruf kecil" in response.get_data(as_text=True)
