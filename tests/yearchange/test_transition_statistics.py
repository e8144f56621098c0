"""The transition ends with ANALYZE of the tables it changed enough (PostgreSQL): here the
memberships it ended and the archive it filled, not its few audit entries
(preau.feeds.statistics)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from preau.accounts.models import Profile
from preau.directory.actions import do_add_to_class, do_attach_to_structure, do_create_class
from preau.directory.models import MembershipSource, Structure
from preau.yearchange.transition import run_transition
from tests.feeds.test_statistics import analyze_now, last_analyzed
from tests.personas import make_user

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="PostgreSQL's planner statistics"),
              pytest.mark.django_db]

TABLES = ["directory_membership", "directory_archivedmembership", "yearchange_auditentry"]


def test_the_transition_analyses_what_it_changed(personas):
    school = Structure.objects.create(uai="0593009Z", name="École Z", academy=personas.academy)
    do_attach_to_structure(personas.teacher, school)
    for n in range(4):
        school_class = do_create_class(school, f"C{n}", f"Classe {n}", ["CE1"])
        for m in range(25):
            pupil = make_user(f"Élève{n}{m}", "Z", Profile.STUDENT)
            do_add_to_class(pupil, school_class, MembershipSource.FEED)
    before = analyze_now(TABLES)
    plan = run_transition(today=datetime.date(2024, 8, 24), dry_run=True)
    assert plan.report["memberships_ended"]["total"] >= 100
    assert all(t <= before for t in last_analyzed(TABLES).values())  # a plan writes nothing
    run = run_transition(today=datetime.date(2024, 8, 24))
    assert run.report["errors"] == [] and run.report["memberships_ended"]["total"] >= 100
    analysed = last_analyzed(TABLES)
    assert analysed["directory_membership"] > before, analysed
    assert analysed["directory_archivedmembership"] > before, analysed
    assert analysed["yearchange_auditentry"] <= before, analysed  # a few rows: autovacuum's
