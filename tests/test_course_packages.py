"""Course packages: export then import gives the same course; a malformed package is refused whole."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import packages, services
from courses.models import Course
from extensions import db
from tests.factories import make_course

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CONTENT = Path(__file__).resolve().parents[1] / "content" / "halal-self-declare"


def _zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = {
    "course.md": "---\nslug: uji-paket\ntitle: Uji Paket\nhours_jp: 6\njp_minutes: 45\nvalid_as_of: 2025-12-01\n"
                 "---\nPengantar **kursus**.\n",
    "01-pertama.md": "---\ntitle: Pertama\nreading_minutes: 5\nchecked_on: 2025-12-01\nsummary_en: First.\n---\n"
                     "# Pertama\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![logo](assets/logo.png)[^1]\n\n[^1]: Sumber.\n",
    "02-kedua.md": "---\ntitle: Kedua\n---\nIsi kedua.\n",
    "assets/logo.png": PNG,
}


def test_import_then_export_then_import_gives_the_same_course(app, admin):
    course = packages.import_zip(_zip(GOOD), admin)
    db.session.commit()
    assert course.latest_version.number == 1
    assert [m.slug for m in course.latest_version.modules] == ["pertama", "kedua"]
    first = course.latest_version.modules[0]
    assert "<table>" in first.body_html and "/courses/uji-paket/files/logo.png" in first.body_html
    exported = packages.export_files(course)
    assert exported["assets/logo.png"] == PNG
    original = {k: (v.encode() if isinstance(v, str) else v) for k, v in GOOD.items()}
    again = packages.read_files(exported)
    first_read = packages.read_files(original)
    assert again.meta["slug"] == first_read.meta["slug"] and again.meta["valid_as_of"] == first_read.meta["valid_as_of"]
    assert [(m.slug, m.meta["title"], m.body.strip()) for m in again.modules] == \
        [(m.slug, m.meta["title"], m.body.strip()) for m in first_read.modules]
    # importing the export into the same platform updates it into version 2 without duplicating
    course2 = packages.import_zip(packages.export_zip(course), admin)
    db.session.commit()
    assert course2.id == course.id and course2.latest_version.number == 2
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    assert services.diff_versions(course.versions[0], course.versions[1]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"course.md": "slug: tanpa-front-matter\n"}, "course.md:1: front matter missing"),
        ({"course.md": "---\ntitle: x\n---\n"}, "course.md:1: front matter needs 'slug'"),
        ({"02-kedua.md": "---\ntitle: [tidak ditutup\n---\n"}, "02-kedua.md:"),
        ({"02-kedua.md": "---\nreading_minutes: 5\n---\nisi"}, "02-kedua.md:1: front matter needs 'title'"),
        ({"3-salah-nama.md": "---\ntitle: x\n---\n"}, "3-salah-nama.md: module files are named"),
        ({"assets/logo.png": b"<svg onload=alert(1)>"}, "assets/logo.png: asset type not allowed"),
        ({"02-kedua.md": "---\ntitle: K\n---\n\n\nLihat ![x](assets/hilang.png)\n"},
         "02-kedua.md:6: links to assets/hilang.png"),
        ({"01-pertama.md": "---\ntitle: P\nchecked_on: kemarin\n---\nx"}, "checked_on: expected a date"),
    ],
)
def test_malformed_package_is_refused_whole_with_file_and_line(admin, change, expected):
    files = {**GOOD, **change}
    with pytest.raises(packages.PackageError) as info:
        packages.import_zip(_zip(files), admin)
    db.session.rollback()
    assert any(expected in str(p) for p in info.value.problems), [str(p) for p in info.value.problems]
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_every_problem_is_reported_at_once(admin):
    files = {**GOOD, "course.md": "---\ntitle: x\nwarna: merah\n---\n", "02-kedua.md": "tanpa front matter"}
    with pytest.raises(packages.PackageError) as info:
        packages.read_files({k: (v.encode() if isinstance(v, str) else v) for k, v in files.items()})
    assert len(info.value.problems) >= 3


def test_zip_with_top_folder_and_path_tricks(admin):
    files = {f"paket/{k}": v for k, v in GOOD.items()}
    files["../../etc/passwd"] = "x"
    course = packages.import_zip(_zip(files), admin)
    assert course.slug == "uji-paket"


def test_not_a_zip(admin):
    with pytest.raises(packages.PackageError):
        packages.import_zip(b"bukan zip", admin)


def test_cli_import_and_export(runner, admin, tmp_path):
    folder = tmp_path / "paket"
    (folder / "assets").mkdir(parents=True)
    for name, data in GOOD.items():
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "imported uji-paket: version 1, 2 modules" in result.output
    out = tmp_path / "out.zip"
    result = runner.invoke(args=["courses", "export", "uji-paket", str(out)])
    assert result.exit_code == 0 and zipfile.is_zipfile(out)
    (folder / "02-kedua.md").write_text("---\n---\n")
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code != 0 and "02-kedua.md" in result.output


def test_trainer_export_and_import_through_the_ui(client, trainer):
    from tests.conftest import login

    course = make_course(trainer, slug="kursus-ui")
    login(client, trainer)
    response = client.get(f"/trainer/courses/{course.slug}/export")
    assert response.mimetype == "application/zip"
    bad = client.post("/trainer/import", data={"file": (io.BytesIO(_zip({"course.md": "x"})), "p.zip")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "course.md:1" in bad.get_data(as_text=True)
    good = client.post("/trainer/import", data={"file": (io.BytesIO(_zip(GOOD)), "p.zip")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
