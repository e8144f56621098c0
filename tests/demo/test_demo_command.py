"""`preau demo` without --no-serve: the server listens on the loopback only."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from preau.accounts.models import User

pytestmark = pytest.mark.django_db


def test_demo_serves_on_loopback_without_reloader(settings, tmp_path, monkeypatch):
    from preau.demo.management.commands import demo as command

    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    calls: list[tuple[tuple, dict]] = []
    real = command.call_command

    def record(name, *args, **kwargs):
        calls.append(((name, *args), kwargs))
        if name != "runserver":
            real(name, *args, **kwargs)

    class Worker:
        terminated = False

        def terminate(self):
            Worker.terminated = True

        def wait(self, timeout):
            return 0

    monkeypatch.setattr(command, "call_command", record)
    monkeypatch.setattr(command, "start_job_worker", Worker)
    call_command("demo", "--port", "8123", stdout=io.StringIO())
    assert Worker.terminated  # the job worker stops with the web server
    assert calls[0][0] == ("migrate",)
    assert calls[-1] == (("runserver", "127.0.0.1:8123"), {"use_reloader": False})
    assert User.objects.filter(login="demo.enseignant").exists()
