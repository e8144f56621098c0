"""Thumbnails: never decoded in the request, nor in the worker itself.

Issue 11: a 462 KB PNG of 10,900 x 10,900 pixels took one web process from 175 to 1,083
MiB (the thumbnail was decoded in the upload request; Pillow's bomb guard only warned
between 60 and 120 megapixels). Now the upload stores the file and queues a job; the job
runs `thumbnailer.py` in a child process that reads the header, refuses above
PREAU_IMAGE_MAX_PIXELS without decoding, and decodes within a memory and time cap.
"""

from __future__ import annotations

import io
import logging
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, ImageFile
from rest_framework.test import APIClient

from preau.documents import media, thumbnailer
from preau.documents.actions import (
    check_copy,
    check_new_version,
    destroy_nodes,
    do_make_thumbnail,
    do_store_app_file,
)
from preau.documents.models import App, FileVersion, Node, ThumbnailState
from preau.documents.tasks import make_thumbnail
from tests.documents.helpers import png_bytes, upload

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024
BOMB_SIDE = 10_900
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def uniform_png(width: int, height: int) -> bytes:
    """An RGB PNG of one colour, compressed row by row (memory stays flat): 10,900 x 10,900
    pixels weigh about 370 KB, like the issue's 462 KB file."""
    pack = zlib.compressobj(9)
    row = b"\x00" + b"\xf0" * (3 * width)  # filter byte, then the pixels
    data = b"".join([*(pack.compress(row) for _ in range(height)), pack.flush()])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


@pytest.fixture(scope="session")
def bomb(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    if not path.exists():
        path.write_bytes(uniform_png(BOMB_SIDE, BOMB_SIDE))
    return path.read_bytes()


def _photo() -> bytes:
    """A small JPEG photo (opaque): its thumbnail is a JPEG."""
    image = Image.new("RGB", (1600, 1200), (120, 180, 90))
    image.paste((110, 160, 230), (0, 0, 1600, 500))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


PHOTO = _photo()  # made before any test forbids Pillow in this process


# -- measuring the process that serves the request --------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


class PeakMemory:
    """This process's peak resident memory during a block, from Linux's high-water mark
    (VmHWM), which writing 5 to /proc/self/clear_refs resets to the current size."""

    def __enter__(self) -> PeakMemory:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError as error:  # pragma: no cover - not Linux
            pytest.skip(f"peak memory cannot be reset here: {error}")
        self.start = _status_kib("VmHWM")
        return self

    def __exit__(self, *exc: object) -> None:
        self.rise_mib = (_status_kib("VmHWM") - self.start) / 1024


@pytest.fixture
def no_decode_here(monkeypatch) -> list[str]:
    """Any use of Pillow's opener or decoders by this (the request's) process is recorded
    and refused: only the thumbnail job's child process may decode."""
    calls: list[str] = []

    def refuse(name):
        def refused(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} called in the request's process")
        return refused

    monkeypatch.setattr(Image, "open", refuse("Image.open"))
    monkeypatch.setattr(Image.Image, "load", refuse("Image.load"))
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse("ImageFile.load"))
    return calls


def web_upload(client, name: str, data: bytes):
    response = client.post(reverse("documents:upload"),
                           {"files": [SimpleUploadedFile(name, data)]})
    assert response.status_code == 302, response.content[:300]
    return Node.objects.get(name=name)


def api_upload(user, name: str, data: bytes):
    client = APIClient()
    client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.post("/api/v1/documents/", {"file": SimpleUploadedFile(name, data)},
                           format="multipart")
    assert response.status_code == 201, response.content[:300]
    return Node.objects.get(pk=response.json()["id"]), response.json(), client


def child_peaks(caplog) -> list[int]:
    return [record.args[-1] for record in caplog.records
            if record.name == "preau.documents.actions" and "child's peak" in record.msg]


# -- the image ----------------------------------------------------------------------


@pytest.mark.parametrize("way", ["web", "api"])
def test_the_10900_pixel_png_is_stored_but_never_decoded(way, personas, client_for, bomb,
                                                         no_decode_here, caplog, backend):
    assert len(bomb) < 500_000  # a small file...
    teacher = personas.teacher
    caplog.set_level(logging.INFO, logger="preau.documents.actions")
    # The job runs inline here (PREAU_TASKS_BACKEND=immediate): the worst case, the request's
    # process runs the job itself. It still decodes nothing, and nor does the child.
    with PeakMemory() as peak:
        if way == "web":
            node = web_upload(client_for(teacher), "plan.png", bomb)
        else:
            node, answer, _client = api_upload(teacher, "plan.png", bomb)
            assert answer["thumbnail_status"] == "too_large"
            assert answer["has_thumbnail"] is False
    assert no_decode_here == []
    assert peak.rise_mib < 64, f"the request's process grew by {peak.rise_mib:.0f} MiB"
    (child_peak,) = child_peaks(caplog)
    assert child_peak < 48 * 1024, f"the child peaked at {child_peak} KiB: it decoded"

    version = FileVersion.objects.get(node=node)
    assert version.thumbnail_state == ThumbnailState.TOO_LARGE
    assert (version.width, version.height) == (BOMB_SIDE, BOMB_SIDE)
    assert version.thumbnail_key == "" and backend.blobs() == {version.blob_key}
    # Still stored and downloadable, byte for byte.
    client = client_for(teacher)
    download = client.get(reverse("documents:download", args=[node.pk]))
    assert b"".join(download.streaming_content) == bomb
    assert client.get(reverse("documents:thumbnail", args=[node.pk])).status_code == 404
    # The page says why, and never asks the browser to decode it either.
    page = client.get(reverse("documents:file", args=[node.pk])).content.decode()
    assert "Pas d\u2019aperçu ni de miniature : cette image est trop grande" in page
    assert "10\xa0900 \u00d7 10\xa0900 pixels, plus de 50 millions de pixels" in page
    assert "télécharger" in page.lower()
    assert reverse("documents:preview", args=[node.pk]) not in page
    assert 'class="doc-thumb"' not in page and 'class="doc-icon image"' in page


def test_the_web_application_does_not_even_import_pillow(tmp_path):
    import os

    code = ("import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'preau.settings'; "
            "django.setup(); import preau.wsgi; from django.urls import get_resolver; "
            "get_resolver().url_patterns; import preau.api.urls, preau.documents.views; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'PIL'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PREAU_DATA_DIR": str(tmp_path)}, check=True)
    assert result.stdout.strip() == "[]"


def test_a_process_that_decodes_it_in_the_request_is_what_the_measure_catches(bomb):
    """The control: the same measure around an in-process decode of the issue's file (what
    the upload request did before) sees the hundreds of MiB, so the test above can fail."""
    with PeakMemory() as peak, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(bomb)) as image:
            image.thumbnail((320, 320))
    assert peak.rise_mib > 300


def test_pillows_own_guard_is_set_to_the_same_limit(tmp_path, monkeypatch, settings):
    """Even if the header check were skipped, the child's Pillow refuses the decode: its
    guard is PREAU_IMAGE_MAX_PIXELS, and its warning band (1 to 2 times) is an error too."""
    source = tmp_path / "big.png"
    source.write_bytes(png_bytes((1500, 1000)))  # 1.5 megapixels, within twice the limit
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(thumbnailer, "header_size", lambda *args: (1, 1))
    with warnings.catch_warnings():
        found = thumbnailer.make(str(source), "PNG", str(tmp_path / "out"), 1_000_000)
    assert found["state"] == "too_large" and "exceeds limit of 1000000" in found["reason"]
    assert not (tmp_path / "out").exists()


def test_the_limit_is_the_setting(personas, client_for, settings):
    settings.PREAU_IMAGE_MAX_PIXELS = 1_000_000
    over = upload(personas.teacher, "over.png", png_bytes((1001, 1000)))
    under = upload(personas.teacher, "under.png", png_bytes((1000, 1000)))
    assert over.current.thumbnail_state == ThumbnailState.TOO_LARGE
    assert under.current.thumbnail_state == ThumbnailState.READY
    page = client_for(personas.teacher).get(reverse("documents:file", args=[over.pk]))
    assert "1\xa0001 \u00d7 1\xa0000 pixels, plus de 1 million de pixels" in page.content.decode()


# -- a normal photo ---------------------------------------------------------------------------


def test_a_photo_gets_its_thumbnail_from_the_worker(personas, client_for, settings,
                                                    no_decode_here, caplog, monkeypatch):
    settings.TASKS = DATABASE_TASKS  # the production backend: the job waits for the worker
    client = client_for(personas.teacher)
    node = web_upload(client, "sortie.jpg", PHOTO)
    version = node.current
    assert version.thumbnail_state == ThumbnailState.PENDING and not version.thumbnail_key
    # Until the worker has run: the generic icon, which asks again for itself.
    listing = client.get(reverse("documents:index")).content.decode()
    icon_url = reverse("documents:icon", args=[node.pk])
    assert f'hx-get="{icon_url}?essai=1"' in listing and 'class="doc-thumb"' not in listing
    page = client.get(reverse("documents:file", args=[node.pk])).content.decode()
    assert "L\u2019aperçu est en préparation" in page
    assert reverse("documents:preview", args=[node.pk]) not in page
    again = client.get(icon_url, {"essai": "1"}).content.decode()
    assert f'hx-get="{icon_url}?essai=2"' in again

    caplog.set_level(logging.INFO, logger="preau.documents.actions")
    # The worker (`preau db_worker`), run here in the test's process and transaction: it
    # must not close the test's connection between tasks as it does in production.
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("db_worker", batch=True, startup_delay=False, reload=False)
    assert no_decode_here == []  # the worker decoded nothing itself either: its child did
    (child_peak,) = child_peaks(caplog)
    assert child_peak < 128 * 1024

    version.refresh_from_db()
    assert version.thumbnail_state == ThumbnailState.READY and version.thumbnail_key
    assert (version.width, version.height) == (1600, 1200)
    monkeypatch.undo()  # Pillow again, for the test's own look at the thumbnail
    picked_up = client.get(icon_url, {"essai": "2"}).content.decode()
    assert "hx-get" not in picked_up
    assert f'src="{reverse("documents:thumbnail", args=[node.pk])}"' in picked_up
    thumb = client.get(reverse("documents:thumbnail", args=[node.pk]))
    assert thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content), formats=["JPEG"]) as small:
        assert small.size == (320, 240)
    page = client.get(reverse("documents:file", args=[node.pk])).content.decode()
    assert f'src="{reverse("documents:preview", args=[node.pk])}"' in page
    assert "1\xa0600 \u00d7 1\xa0200 pixels" in page


def test_api_upload_of_a_photo_decodes_nothing_in_the_request(personas, no_decode_here):
    node, answer, client = api_upload(personas.teacher, "photo.jpg", PHOTO)
    assert no_decode_here == []
    assert answer["thumbnail_status"] == "ready" and answer["has_thumbnail"] is True
    thumb = client.get(f"/api/v1/documents/{node.pk}/thumbnail")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_the_icon_stops_asking_after_a_minute(personas, client_for, settings):
    settings.TASKS = DATABASE_TASKS
    node = upload(personas.teacher, "photo.png", png_bytes())
    client = client_for(personas.teacher)
    icon_url = reverse("documents:icon", args=[node.pk])
    assert "hx-get" in client.get(icon_url, {"essai": "19"}).content.decode()
    for last in ("20", "abc", "99999"):
        answer = client.get(icon_url, {"essai": last}).content.decode()
        assert "hx-get" not in answer and 'class="doc-icon image"' in answer


@pytest.mark.parametrize(("who", "status"), [("teacher", 200), ("other_teacher", 404),
                                             ("pupil", 404), (None, 302)])
def test_icon_permissions(personas, client_for, who, status):
    node = upload(personas.teacher, "photo.png", png_bytes())
    user = getattr(personas, who) if who else None
    response = client_for(user).get(reverse("documents:icon", args=[node.pk]))
    assert response.status_code == status
    if who is None:
        assert response["Location"].startswith(reverse("accounts:login"))


# -- limits of the child process --------------------------------------------------------------


def test_a_decode_past_the_memory_cap_fails_cleanly(personas, client_for, settings, backend,
                                                    caplog):
    """A 4,000 x 4,000 PNG needs about 80 MiB to decode: under a 64 MiB cap the child's
    allocation fails, the child says so, the upload stands, no thumbnail is left."""
    settings.PREAU_THUMBNAIL_MEMORY_MIB = 64
    caplog.set_level(logging.INFO, logger="preau.documents.actions")
    data = png_bytes((4000, 4000))
    node = web_upload(client_for(personas.teacher), "grand.png", data)
    version = node.current
    assert version.thumbnail_state == ThumbnailState.FAILED
    assert (version.width, version.height) == (4000, 4000)  # the header was read
    assert any("memory cap reached" in record.getMessage() for record in caplog.records
               if record.levelno == logging.WARNING)
    assert backend.blobs() == {version.blob_key}
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).exists()
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []  # nothing left behind
    page = client_for(personas.teacher).get(reverse("documents:file", args=[node.pk]))
    assert "cette image n\u2019a pas pu être lue" in page.content.decode()
    download = client_for(personas.teacher).get(reverse("documents:download", args=[node.pk]))
    assert b"".join(download.streaming_content) == data
    # With the default cap the same image gets its thumbnail.
    settings.PREAU_THUMBNAIL_MEMORY_MIB = 512
    again = upload(personas.teacher, "grand bis.png", data)
    assert again.current.thumbnail_state == ThumbnailState.READY


@pytest.mark.parametrize("child", [
    "import time; time.sleep(30)",  # stuck: killed at the wall-clock limit
    "import resource; resource.setrlimit(resource.RLIMIT_CPU, (1, 2))\nwhile True: pass",
])
def test_a_decode_past_the_time_limit_fails_cleanly(personas, settings, monkeypatch, child):
    settings.PREAU_THUMBNAIL_SECONDS = 1
    monkeypatch.setattr(media, "WALL_CLOCK_MARGIN", 1)
    monkeypatch.setattr(media, "thumbnailer_command",
                        lambda *args: [sys.executable, "-I", "-c", child])
    node = upload(personas.teacher, "photo.png", png_bytes())
    assert node.current.thumbnail_state == ThumbnailState.FAILED
    assert media.run_thumbnailer(Path("x"), "image/png", Path("y")).reason == \
        "time limit (1 s) reached"


def test_a_damaged_image_fails_cleanly(personas):
    data = png_bytes((400, 300))
    node = upload(personas.teacher, "abîmée.png", data[:len(data) // 2])
    assert node.content_type == "image/png"
    assert node.current.thumbnail_state == ThumbnailState.FAILED
    assert node.current.width == 400  # its header was fine


def test_the_child_sees_no_secret_of_the_worker(personas, monkeypatch):
    """The child runs with an empty environment: no database URL, no storage keys."""
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/preau")
    monkeypatch.setattr(media, "thumbnailer_command", lambda *args: [
        sys.executable, "-I", "-c",
        "import json, os; print(json.dumps({'state': 'failed', 'reason': ','.join(os.environ)}))"])
    seen = media.run_thumbnailer(Path("x"), "image/png", Path("y")).reason.split(",")
    assert set(seen) - {""} <= {"LC_CTYPE"}  # set by Python itself (PEP 538)


def test_no_thumbnail_for_a_heavy_file_nor_for_other_types(personas, settings, monkeypatch):
    monkeypatch.setattr(media, "THUMBNAIL_MAX_SOURCE", 1000)
    heavy = upload(personas.teacher, "lourde.png", png_bytes((400, 300)) + b"\0" * 2000)
    assert heavy.current.thumbnail_state == ThumbnailState.TOO_LARGE
    text = upload(personas.teacher, "notes.txt")
    assert text.current.thumbnail_state == ThumbnailState.NONE


# -- the job's life ---------------------------------------------------------------------------


def test_the_job_is_queued_with_the_upload_and_runs_once(personas, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    node = upload(personas.teacher, "photo.png", png_bytes())
    (job,) = DBTaskResult.objects.filter(task_path=make_thumbnail.module_path)
    assert job.args_kwargs["args"] == [node.current.pk] and job.status == "READY"
    assert do_make_thumbnail(node.current.pk) == ThumbnailState.READY
    first = FileVersion.objects.get(pk=node.current.pk).thumbnail_key
    assert do_make_thumbnail(node.current.pk) == ThumbnailState.READY  # nothing done again
    assert FileVersion.objects.get(pk=node.current.pk).thumbnail_key == first
    assert do_make_thumbnail(10**9) == ""  # a version gone: nothing to do


def test_a_version_deleted_while_its_thumbnail_is_made_leaves_no_blob(
        personas, settings, monkeypatch, backend, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE_TASKS
    node = upload(personas.teacher, "photo.png", png_bytes((800, 600)))
    real = media.run_thumbnailer

    def deleted_meanwhile(*args):
        decoded = real(*args)
        destroy_nodes([node.pk])
        return decoded

    monkeypatch.setattr(media, "run_thumbnailer", deleted_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):  # the file's bytes go at commit
        assert do_make_thumbnail(node.current.pk) == ""
    assert backend.blobs() == set()  # and the thumbnail made meanwhile went too


def test_versions_copies_and_app_files_get_theirs(personas, backend,
                                                  django_capture_on_commit_callbacks):
    teacher = personas.teacher
    node = upload(teacher, "photo.png", png_bytes((800, 600)))
    version = check_new_version(teacher, node, SimpleUploadedFile("v2.jpg", PHOTO))
    assert version.thumbnail_state == ThumbnailState.READY and version.width == 1600
    node.refresh_from_db()
    copy = check_copy(teacher, node, None)
    copied = copy.current
    assert copied.thumbnail_state == ThumbnailState.READY and copied.width == 1600
    assert copied.thumbnail_key and copied.thumbnail_key != version.thumbnail_key
    kept = do_store_app_file(teacher, App.MESSAGING, io.BytesIO(PHOTO), "pj.jpg",
                             len(PHOTO))
    assert kept.current.thumbnail_state == ThumbnailState.READY
    versions = FileVersion.objects.all()
    assert backend.blobs() == {v.blob_key for v in versions} | {
        v.thumbnail_key for v in versions if v.thumbnail_key}
    with django_capture_on_commit_callbacks(execute=True):
        destroy_nodes([node.pk, copy.pk, kept.pk])
    assert backend.blobs() == set()


def test_a_copy_of_an_image_still_waiting_gets_its_own_job(personas, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    node = upload(personas.teacher, "photo.png", png_bytes())
    copy = check_copy(personas.teacher, node, None)
    assert copy.current.thumbnail_state == ThumbnailState.PENDING
    args = sorted(job.args_kwargs["args"][0] for job in DBTaskResult.objects.all())
    assert args == sorted([node.current.pk, copy.current.pk])


def test_thumbnails_a_lost_worker_left_are_queued_again(personas, settings):
    """`preau documents thumbnails`: a job lost with its worker (the version stays pending),
    and on demand the failed and refused ones, after the limits were raised."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    lost = upload(personas.teacher, "perdue.png", png_bytes())
    recent = upload(personas.teacher, "récente.png", png_bytes())
    failed = upload(personas.teacher, "ratée.png", png_bytes())
    large = upload(personas.teacher, "grande.png", png_bytes())
    text = upload(personas.teacher, "notes.txt")
    FileVersion.objects.filter(pk=lost.current.pk).update(
        created_at=timezone.now() - timedelta(hours=2))
    FileVersion.objects.filter(pk=failed.current.pk).update(
        thumbnail_state=ThumbnailState.FAILED)
    FileVersion.objects.filter(pk=large.current.pk).update(
        thumbnail_state=ThumbnailState.TOO_LARGE, width=10, height=10)
    DBTaskResult.objects.all().delete()

    def queued() -> set[int]:
        return {job.args_kwargs["args"][0] for job in DBTaskResult.objects.all()}

    out = io.StringIO()
    call_command("documents", "thumbnails", stdout=out)
    assert queued() == {lost.current.pk} and "1 thumbnail job(s) queued" in out.getvalue()
    call_command("documents", "thumbnails", "--retry-failed", "--retry-too-large",
                 "--stale-minutes", "0", stdout=out)
    assert queued() == {lost.current.pk, recent.current.pk, failed.current.pk,
                        large.current.pk}
    assert FileVersion.objects.get(pk=failed.current.pk).thumbnail_state == "pending"
    assert FileVersion.objects.get(pk=text.current.pk).thumbnail_state == "none"
    assert do_make_thumbnail(failed.current.pk) == ThumbnailState.READY


def test_a_job_for_a_file_too_heavy_to_open_does_not_open_it(personas, settings,
                                                              monkeypatch):
    settings.TASKS = DATABASE_TASKS
    node = upload(personas.teacher, "photo.png", png_bytes())
    monkeypatch.setattr(media, "THUMBNAIL_MAX_SOURCE", 10)
    monkeypatch.setattr(media, "run_thumbnailer", None)  # would raise if called
    assert do_make_thumbnail(node.current.pk) == ThumbnailState.TOO_LARGE


def test_the_migration_records_what_the_request_made_before(personas):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "preau.documents.migrations.0002_fileversion_thumbnail_state")
    made = upload(personas.teacher, "faite.png", png_bytes())
    refused = upload(personas.teacher, "refusée.png", png_bytes())
    text = upload(personas.teacher, "notes.txt")
    FileVersion.objects.update(thumbnail_state=ThumbnailState.NONE)  # as the column began
    FileVersion.objects.filter(pk=refused.current.pk).update(thumbnail_key="")
    migration.record_existing_thumbnails(apps, None)
    states = dict(FileVersion.objects.values_list("node_id", "thumbnail_state"))
    assert states == {made.pk: "ready", refused.pk: "failed", text.pk: "none"}


# -- settings -------------------------------------------------------------------------------


def test_a_memory_cap_too_small_for_the_pixel_limit_is_reported(settings):
    settings.PREAU_IMAGE_MAX_PIXELS = 100_000_000
    settings.PREAU_THUMBNAIL_MEMORY_MIB = 512
    (warning,) = [m for m in run_checks() if m.id == "documents.W001"]
    assert "PREAU_THUMBNAIL_MEMORY_MIB to at least 541" in warning.hint
    settings.PREAU_IMAGE_MAX_PIXELS = 50_000_000
    assert [m for m in run_checks() if m.id == "documents.W001"] == []


@pytest.mark.parametrize(("name", "value"), [("PREAU_IMAGE_MAX_PIXELS", "0"),
                                             ("PREAU_THUMBNAIL_MEMORY_MIB", "16"),
                                             ("PREAU_THUMBNAIL_SECONDS", "0")])
def test_nonsense_limits_stop_the_start(tmp_path, name, value):
    import os

    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path), name: value}
    result = subprocess.run([sys.executable, "-m", "preau", "check"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0 and f"{name} must be at least" in result.stderr
