"""The importer's bulk writer: the same rows on SQLite (bulk_create/bulk_update) and on
PostgreSQL (COPY, and COPY into a temporary table for updates and skipped conflicts)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.models import (
    Academy,
    Group,
    GroupKind,
    Membership,
    Structure,
    StructureAttachment,
)
from preau.feeds import bulk
from preau.feeds.importer import EVENT_FIELDS

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2025, 9, 2, 12, 0))


def make_users(count: int) -> list[int]:
    born = datetime.date(2015, 1, 1)
    rows = [(f"eleve.{i}", "Élève", f"N{i}", Profile.STUDENT, born + datetime.timedelta(days=i),
             Source.AAF1D, "ENT", f"E{i}", State.PENDING, NOW) for i in range(count)]
    return bulk.insert(User, ["login", "first_name", "last_name", "profile", "birth_date",
                              "source", "external_prefix", "external_id", "state",
                              "created_at"], rows, ids=True)


def make_school() -> Structure:
    academy = Academy.objects.create(code="lille", name="Lille", feed_prefix="ENT")
    return Structure.objects.create(uai="0590001A", name="École A", academy=academy)


def test_insert_returns_the_new_ids_in_order_and_fills_defaults():
    ids = make_users(3)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    assert [users[uid].login for uid in ids] == ["eleve.0", "eleve.1", "eleve.2"]
    first = users[ids[0]]
    assert first.birth_date == datetime.date(2015, 1, 1)
    assert first.created_at == NOW
    # Columns left out get their field's default, as bulk_create gives them.
    assert (first.email, first.federated, first.is_ent_admin, first.missing_since) == (
        "", False, False, None)
    assert make_users(0) == []


def test_insert_without_ids_and_json_values():
    uid = make_users(1)[0]
    school = make_school()
    details = {"source": "AAF1D", "run": 7, "schools": [["0590001A"], []]}
    assert bulk.insert(UserEvent, EVENT_FIELDS, [
        (uid, None, UserEvent.Kind.CREATED, NOW, "", details),
        (uid, None, UserEvent.Kind.UPDATED, NOW, "Mis à jour", details),
    ]) == []
    bulk.insert(StructureAttachment, ["user_id", "structure_id", "source", "is_director",
                                      "functions", "created_at"],
                [(uid, school.pk, Source.AAF1D, True, ["Directeur", "CM2"], NOW)])
    events = list(UserEvent.objects.filter(user_id=uid).order_by("id"))
    assert [(e.kind, e.message, e.details) for e in events] == [
        ("created", "", details), ("updated", "Mis à jour", details)]
    attachment = StructureAttachment.objects.get(user_id=uid)
    assert (attachment.is_director, attachment.functions) == (True, ["Directeur", "CM2"])


def test_insert_can_skip_rows_that_already_exist():
    a, b = make_users(2)
    school = make_school()
    group = Group.objects.create(kind=GroupKind.STRUCTURE, structure=school,
                                 profile=Profile.STUDENT, name="Élèves")
    columns = ["group_id", "user_id", "source", "created_at"]
    bulk.insert(Membership, columns, [(group.pk, a, "feed", NOW)])
    bulk.insert(Membership, columns, [(group.pk, a, "feed", NOW), (group.pk, b, "feed", NOW)],
                ignore_conflicts=True)
    assert sorted(Membership.objects.values_list("user_id", flat=True)) == [a, b]


def test_update_sets_the_columns_of_each_row():
    a, b, c = make_users(3)
    bulk.update(User, ["first_name", "missing_since", "state"], [
        (a, "Léa", datetime.date(2025, 9, 2), State.MISSING),
        (c, "Hugo", None, State.ACTIVE),
    ])
    rows = {uid: rest for uid, *rest in User.objects.values_list(
        "id", "first_name", "missing_since", "state")}
    assert rows[a] == ["Léa", datetime.date(2025, 9, 2), "missing"]
    assert rows[b] == ["Élève", None, "pending"]
    assert rows[c] == ["Hugo", None, "active"]
    bulk.update(User, ["first_name"], [])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's fast path")
def test_postgresql_copies_rows_instead_of_inserting_them():
    with CaptureQueriesContext(connection) as captured:
        make_users(50)
        bulk.analyze(User, Membership)
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    assert "INSERT" not in statements  # the rows went through COPY
    assert statements == ["SELECT", "ANALYZE"]  # the ids, then the statistics
    assert User.objects.count() == 50
