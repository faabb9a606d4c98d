"""Trainer area: courses, draft modules with preview, publishing, history, attachments, packages."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.domain import DomainError, apply_to_form, message_for
from accounts.forms import EmptyForm
from accounts.guards import guard_blueprint
from accounts.roles import ADMIN, TRAINER
from courses import packages, services
from courses.forms import AttachmentForm, CourseForm, ModuleForm, PackageImportForm, PublishForm
from courses.models import Attachment, Course, Module
from courses.uploads import store
from extensions import db

bp = Blueprint("authoring", __name__, url_prefix="/trainer")
guard_blueprint(bp, TRAINER, ADMIN)


def init_app(app) -> None:
    def nav(user):
        if user.has_role(TRAINER, ADMIN):
            return [{"url": url_for("authoring.courses"), "label": _("Kursus yang saya tulis")}]
        return []

    app.extensions.setdefault("nav_items", []).append(nav)


def _course(slug: str) -> Course:
    course = services.get_course_by_slug(slug) or abort(404)
    if not services.can_edit(current_user, course):
        abort(403)
    return course


def _module(course: Course, module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        abort(404)
    return module


@bp.route("/courses")
def courses():
    return render_template("courses/trainer_list.html", courses=services.authored_courses(current_user))


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, **_course_fields(form))
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Kursus dibuat. Tambahkan modul pertama."), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("courses/course_form.html", form=form, course=None)


def _course_fields(form: CourseForm) -> dict:
    return {
        "title": form.title.data, "slug": form.slug.data or None, "summary": form.summary.data or "",
        "language": form.language.data, "hours_jp": form.hours_jp.data or 0, "jp_minutes": form.jp_minutes.data or 45,
        "valid_as_of": form.valid_as_of.data, "sequential": form.sequential.data, "intro_md": form.intro_md.data or "",
    }


@bp.route("/courses/<slug>/edit", methods=["GET", "POST"])
def edit_course(slug: str):
    course = _course(slug)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        fields = _course_fields(form)
        fields["slug"] = fields["slug"] or course.slug
        try:
            services.update_course(course, **fields)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Detail kursus tersimpan (terlihat peserta setelah diterbitkan)."), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("courses/course_form.html", form=form, course=course)


@bp.route("/courses/<slug>")
def course(slug: str):
    course = _course(slug)
    attachments = db.session.scalars(select(Attachment).where(Attachment.course_id == course.id)
                                     .order_by(Attachment.name)).all()
    return render_template("courses/trainer_course.html", course=course, publish_form=PublishForm(),
                           attachment_form=AttachmentForm(), action_form=EmptyForm(), attachments=attachments,
                           modules=[m for m in course.modules if not m.archived])


@bp.route("/courses/<slug>/modules/new", methods=["GET", "POST"])
@bp.route("/courses/<slug>/modules/<int:module_id>", methods=["GET", "POST"])
def edit_module(slug: str, module_id: int | None = None):
    course = _course(slug)
    module = _module(course, module_id) if module_id else None
    form = ModuleForm(obj=module)
    preview = None
    if request.method == "POST" and "preview" in request.form:
        form.validate()
        preview = services.preview_html(course, form.body_md.data or "")
    elif form.validate_on_submit():
        try:
            module = services.save_module(
                course, module, title=form.title.data, body_md=form.body_md.data or "", slug=form.slug.data or None,
                reading_minutes=form.reading_minutes.data, checked_on=form.checked_on.data,
                summary_en=form.summary_en.data or "", must_reread=form.must_reread.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Draf modul tersimpan. Peserta melihatnya setelah kursus diterbitkan."), "success")
            return redirect(url_for("authoring.edit_module", slug=course.slug, module_id=module.id))
    elif module is not None and request.method == "GET":
        preview = module.body_html
    return render_template("courses/module_form.html", course=course, module=module, form=form, preview=preview)


@bp.route("/courses/<slug>/preview", methods=["POST"])
def preview(slug: str):
    course = _course(slug)
    body = request.form.get("body_md", "")
    if len(body) > 200000:
        abort(413)
    return jsonify({"html": services.preview_html(course, body)})


@bp.route("/courses/<slug>/modules/<int:module_id>/move/<direction>", methods=["POST"])
def move_module(slug: str, module_id: int, direction: str):
    course = _course(slug)
    module = _module(course, module_id)
    if direction not in ("up", "down") or not EmptyForm().validate_on_submit():
        abort(400)
    services.move_module(course, module, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("authoring.course", slug=course.slug) + f"#module-{module.id}")


@bp.route("/courses/<slug>/modules/<int:module_id>/archive", methods=["POST"])
def archive_module(slug: str, module_id: int):
    course = _course(slug)
    module = _module(course, module_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.archive_module(course, module)
    db.session.commit()
    flash(_("Modul dihapus dari draf. Versi yang sudah terbit tetap utuh."), "info")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>/publish", methods=["POST"])
def publish(slug: str):
    course = _course(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Isi catatan perubahan sebelum menerbitkan."), "error")
        return redirect(url_for("authoring.course", slug=course.slug))
    try:
        version = services.publish(course, current_user, form.change_note.data)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        db.session.commit()
        flash(_("Versi %(n)s diterbitkan.", n=version.number), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>/versions")
def versions(slug: str):
    course = _course(slug)
    return render_template("courses/versions.html", course=course)


@bp.route("/courses/<slug>/diff")
def diff(slug: str):
    course = _course(slug)
    try:
        old = services.get_version(course, request.args.get("a", type=int) or 0)
        new = services.get_version(course, request.args.get("b", type=int) or 0)
    except DomainError:
        abort(404)
    return render_template("courses/diff.html", course=course, old=old, new=new,
                           changes=services.diff_versions(old, new))


@bp.route("/courses/<slug>/attachments", methods=["POST"])
def upload_attachment(slug: str):
    course = _course(slug)
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored, name, content_type, size = store(upload.read(), upload.filename)
            packages.add_attachment(course, name, stored, content_type, size, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(message_for(exc), "error")
        else:
            db.session.commit()
            flash(_("Berkas %(name)s diunggah. Tautkan di modul sebagai assets/%(name)s.", name=name), "success")
    else:
        flash(_("Pilih berkas untuk diunggah."), "error")
    return redirect(url_for("authoring.course", slug=course.slug) + "#attachments")


@bp.route("/courses/<slug>/export")
def export_package(slug: str):
    course = _course(slug)
    data = packages.export_zip(course)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{course.slug}.zip")


@bp.route("/import", methods=["GET", "POST"])
def import_package():
    form = PackageImportForm()
    problems: list = []
    if form.validate_on_submit():
        try:
            course = packages.import_zip(form.file.data.read(), current_user)
        except packages.PackageError as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            db.session.commit()
            flash(_("Paket diimpor: %(title)s.", title=course.title), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("courses/import.html", form=form, problems=problems), 422 if problems else 200
