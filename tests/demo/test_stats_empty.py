"""`preau directory stats` on an empty directory: every key present, the same fixed cost."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from preau.accounts.models import Profile, State
from preau.directory.models import GroupKind
from tests.demo.test_stats import STATS_QUERIES, run_stats

pytestmark = pytest.mark.django_db


def test_every_key_is_present_on_an_empty_directory():
    stats = json.loads(run_stats("--json"))
    assert stats["structures"] == 0
    assert stats["classes_active"] == stats["classes_archived"] == 0
    assert stats["users_by_profile"] == dict.fromkeys(Profile.values, 0)
    assert set(stats["users_by_profile"]) == {"Teacher", "Personnel", "Student", "Relative",
                                              "Guest"}
    assert stats["users_by_state"] == dict.fromkeys(State.values, 0)
    assert stats["groups_by_kind"] == dict.fromkeys(GroupKind.values, 0)
    assert stats["relative_links"] == 0
    assert stats["current_school_year"] is None


def test_query_count_is_fixed(django_assert_num_queries):
    """test_stats counts the same queries on the demo académie."""
    with django_assert_num_queries(STATS_QUERIES):
        run_stats("--json")


def test_an_unknown_subcommand_is_refused():
    with pytest.raises(CommandError):
        call_command("directory", "purge", stdout=io.StringIO())
