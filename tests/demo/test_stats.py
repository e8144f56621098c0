"""`preau directory stats` on the demo académie: the figures are the database's."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from preau.accounts.models import Profile, State, User
from preau.directory.models import Group, GroupKind, RelativeLink, SchoolClass, Structure

pytestmark = pytest.mark.django_db

STATS_QUERIES = 7


def run_stats(*args: str) -> str:
    out = io.StringIO()
    call_command("directory", "stats", *args, stdout=out)
    return out.getvalue()


def test_json_figures_are_those_of_the_database(demo):
    User.objects.filter(login="demo.eleve").update(state=State.BLOCKED)
    stats = json.loads(run_stats("--json"))
    assert stats["structures"] == Structure.objects.count() == 3
    assert stats["classes_active"] == SchoolClass.objects.active().count() == 12
    assert stats["classes_archived"] == SchoolClass.objects.count() - 12
    assert stats["classes_archived"] > 0
    for profile in Profile.values:
        assert stats["users_by_profile"][profile] == User.objects.filter(
            profile=profile).count()
    for state in State.values:
        assert stats["users_by_state"][state] == User.objects.filter(state=state).count()
    assert stats["users_by_state"]["blocked"] == 1
    for kind in GroupKind.values:
        assert stats["groups_by_kind"][kind] == Group.objects.filter(kind=kind).count()
    assert stats["relative_links"] == RelativeLink.objects.count()
    assert stats["users"] == User.objects.count()
    assert stats["current_school_year"] == "2023-2024"


def test_table_output_is_readable(demo):
    out = run_stats()
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["structures"] == ["3"]
    assert lines["Student"] == [str(User.objects.filter(profile=Profile.STUDENT).count())]
    assert lines["classes_active"] == ["12"]


def test_query_count_is_the_same_on_the_demo(demo, django_assert_num_queries):
    """test_stats_empty counts the same queries on an empty directory."""
    with django_assert_num_queries(STATS_QUERIES):
        run_stats("--json")
    with django_assert_num_queries(STATS_QUERIES):
        run_stats()
