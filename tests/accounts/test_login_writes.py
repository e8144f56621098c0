"""What a successful login writes (issue 12): django-axes used to add a row of access log per
login (and to update it at logout); lockouts need the failure records only, which stay.

Before: 4 row writes per login (the session created then saved, the last login, axes'
access log). After: 3 (Django's own: the session twice, the last login)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from axes.models import AccessAttempt, AccessLog
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def _writes_of_one_login(login: str) -> Counter[str]:
    """The write statements of one successful login, as "INSERT INTO table" → count."""
    client = Client(REMOTE_ADDR="192.0.2.90")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("accounts:login"),
                               {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    writes: Counter[str] = Counter()
    for query in queries.captured_queries:
        match = WRITE.match(query["sql"])
        if match:
            writes[f"{match.group(1).upper()} {match.group(2)}"] += 1
    return writes


@pytest.mark.parametrize("access_log", [True, False], ids=["before", "after"])
def test_rows_written_per_successful_login(personas, settings, access_log):
    """Before (axes' access log on, as it was): the session (created, then saved with the
    login), the last login, an access log row. After (the project's settings, untouched):
    the session and the last login only."""
    if access_log:
        settings.AXES_DISABLE_ACCESS_LOG = False
    logins = [personas.teacher.login, personas.pupil.login, personas.parent.login]
    per_login = [_writes_of_one_login(login) for login in logins]
    expected = {"INSERT INTO django_session": 1, "UPDATE django_session": 1,
                     "UPDATE accounts_user": 1}
    if access_log:
        expected["INSERT INTO axes_accesslog"] = 1
    for writes in per_login:
        # axes also deletes the expired failures and resets the login's own: no rows here.
        assert {k: v for k, v in writes.items() if not k.startswith("DELETE")} == expected
    assert AccessLog.objects.count() == (len(logins) if access_log else 0)
    row_writes = sum(expected.values())
    assert row_writes == (4 if access_log else 3)


def test_failures_are_still_recorded_for_lockouts(personas):
    client = Client(REMOTE_ADDR="192.0.2.91")
    client.post(reverse("accounts:login"), {"username": personas.teacher.login,
                                            "password": "Wrong-pass-1"})
    assert AccessAttempt.objects.get().failures_since_start == 1
    assert not AccessLog.objects.exists()
