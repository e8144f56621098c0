"""The rules table of docs/architecture.md, checked on the demo académie.

For senders of every profile (every teacher and staff member, the guest, the ENT admin, a
sample of pupils and parents) and every person and every group of the demo — school,
class, functional, manual, and an archived class's groups — the Annuaire's search, the
Messagerie's recipients and the share dialog (and share bookmarks) must agree with the
table. The expectations are computed here, in plain Python over the demo's rows, from the
table's phrases: not from `preau.directory.communication`. A phrase this test does not
know fails it, so the table and the code cannot drift apart silently.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from preau.accounts.models import Profile, State, User
from preau.directory.actions import (
    DirectoryError,
    check_add_bookmark_members,
    do_create_bookmark,
    ensure_class_groups,
)
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import (
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    StructureAttachment,
)
from preau.directory.queries import SearchFilters, search_groups, search_people
from preau.documents.actions import check_create_folder
from preau.messaging.actions import MessagingError, check_compose_and_send, check_save_draft
from preau.sharing.actions import SharingError, check_share
from preau.sharing.models import Right

pytestmark = pytest.mark.django_db

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
STAFF = (Profile.TEACHER, Profile.PERSONNEL)
GONE = (State.DELETED, State.PREDELETED)


def rules_table() -> dict[str, tuple[list[str], list[str]]]:
    """{row: (people phrases, group phrases)} from the marked table of architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    body = text.split("<!-- rules-table -->", 1)[1].split("<!-- /rules-table -->", 1)[0]
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for line in body.strip().splitlines()[2:]:
        who, people, groups = (cell.strip() for cell in line.strip("| ").split(" | "))
        rows[who] = ([p.strip() for p in people.split(";")],
                     [g.strip() for g in groups.split(";")])
    return rows


@dataclass
class World:
    """The demo's rows, read once, as plain Python sets."""

    profile: dict[int, str] = field(default_factory=dict)
    alive: set[int] = field(default_factory=set)
    ent_admins: set[int] = field(default_factory=set)
    schools: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    directors: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    administered: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    classes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    children: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    parents: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    groups: dict[int, Group] = field(default_factory=dict)
    archived: set[int] = field(default_factory=set)
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def populated(self) -> set[int]:
        return {pk for pk, users in self.members.items() if users & self.alive}

    @classmethod
    def read(cls) -> World:
        world = cls()
        for pk, profile, state, admin in User.objects.values_list(
                "pk", "profile", "state", "is_ent_admin"):
            world.profile[pk] = profile
            if state not in GONE:
                world.alive.add(pk)
            if admin:
                world.ent_admins.add(pk)
        for user, school, director in StructureAttachment.objects.values_list(
                "user", "structure", "is_director"):
            world.schools[user].add(school)
            if director:
                world.directors[school].add(user)
        for user, school in SchoolAdmin.objects.values_list("user", "structure"):
            world.administered[user].add(school)
        open_classes = set(SchoolClass.objects.filter(
            school_year__is_current=True, closed_at__isnull=True).values_list("pk", flat=True))
        for user, group, kind, school_class in Membership.objects.values_list(
                "user", "group", "group__kind", "group__school_class"):
            world.members[group].add(user)
            if kind == GroupKind.CLASS and school_class in open_classes:
                world.classes[user].add(school_class)
        for relative, student in RelativeLink.objects.values_list("relative", "student"):
            world.children[relative].add(student)
            world.parents[student].add(relative)
        current = SchoolYear.objects.get(is_current=True)
        for group in Group.objects.select_related("school_class", "school_year"):
            world.groups[group.pk] = group
            if group.is_scolarite and (
                    (group.school_year is not None and group.school_year.end < current.start)
                    or (group.school_class is not None
                        and group.school_class.closed_at is not None)):
                world.archived.add(group.pk)
        return world

    def children_classes(self, user: int) -> set[int]:
        return set().union(*(self.classes[c] for c in self.children[user]))

    def children_schools(self, user: int) -> set[int]:
        return set().union(*(self.schools[c] for c in self.children[user]))


PersonRule = Callable[[World, int, int], bool]
GroupRule = Callable[[World, int, Group], bool]

PEOPLE: dict[str, PersonRule] = {
    "everyone of their schools": lambda w, s, r: bool(w.schools[s] & w.schools[r]),
    "the teachers of their classes": lambda w, s, r: (
        w.profile[r] == Profile.TEACHER and bool(w.classes[s] & w.classes[r])),
    "their own parents": lambda w, s, r: r in w.parents[s],
    "the teachers of their children's classes": lambda w, s, r: (
        w.profile[r] == Profile.TEACHER and bool(w.children_classes(s) & w.classes[r])),
    "the head teachers of their children's schools": lambda w, s, r: any(
        r in w.directors[school] for school in w.children_schools(s)),
    "their children": lambda w, s, r: r in w.children[s],
    "the teachers and staff of their schools": lambda w, s, r: (
        w.profile[r] in STAFF and bool(w.schools[s] & w.schools[r])),
    "everyone of the schools they administer": lambda w, s, r: bool(
        w.administered[s] & w.schools[r]),
    "everyone": lambda w, s, r: True,
}


def _school_group(g: Group) -> bool:
    return g.kind != GroupKind.MANUAL


GROUPS: dict[str, GroupRule] = {
    "every group of their schools": lambda w, s, g: (
        _school_group(g) and g.structure_id in w.schools[s]),
    "their own manual groups": lambda w, s, g: g.kind == GroupKind.MANUAL and g.owner_id == s,
    "their classes' teachers groups": lambda w, s, g: (
        g.kind == GroupKind.CLASS and g.profile == Profile.TEACHER
        and g.school_class_id in w.classes[s]),
    "their children's classes' teachers groups": lambda w, s, g: (
        g.kind == GroupKind.CLASS and g.profile == Profile.TEACHER
        and g.school_class_id in w.children_classes(s)),
    "their schools' teachers and staff groups": lambda w, s, g: (
        _school_group(g) and g.profile in STAFF and g.structure_id in w.schools[s]),
    "every group of the schools they administer but others' manual groups": lambda w, s, g: (
        _school_group(g) and g.structure_id in w.administered[s]),
    "every group": lambda w, s, g: True,
}


def expected(world: World, sender: int) -> tuple[set[int], set[int]]:
    """(people, groups) the table says `sender` reaches and addresses."""
    table = rules_table()
    rows = [world.profile[sender]]
    if world.administered[sender]:
        rows.append("School admin (in addition)")
    if sender in world.ent_admins:
        rows = ["ENT admin"]
    people_rules: list[PersonRule] = []
    group_rules: list[GroupRule] = []
    for row in rows:
        people_phrases, group_phrases = table[row]
        for phrase in people_phrases:
            assert phrase in PEOPLE, f"unknown phrase in the rules table: {phrase!r}"
            people_rules.append(PEOPLE[phrase])
        for phrase in group_phrases:
            assert phrase in GROUPS, f"unknown phrase in the rules table: {phrase!r}"
            group_rules.append(GROUPS[phrase])
    people = {r for r in world.alive if r != sender
              and any(rule(world, sender, r) for rule in people_rules)}
    groups = {pk for pk, g in world.groups.items() if pk not in world.archived
              and any(rule(world, sender, g) for rule in group_rules)}
    return people, groups


def _refused_tokens(error: Exception) -> set[str]:
    return set(re.findall(r"(?:user|group):\d+", str(error)))


def _senders(world: World) -> list[int]:
    """Every staff member, guest and admin; a fixed sample of pupils and parents, with the
    demo's personas and the foster family."""
    rng = random.Random(11)
    by_profile: dict[str, list[int]] = defaultdict(list)
    for pk in sorted(world.alive):
        by_profile[world.profile[pk]].append(pk)
    named = set(User.objects.filter(login__in=["demo.eleve", "demo.parent"])
                .values_list("pk", flat=True))
    foster = set(RelativeLink.objects.filter(legal=False).values_list("relative", flat=True))
    return sorted(set(by_profile[Profile.TEACHER]) | set(by_profile[Profile.PERSONNEL])
                  | set(by_profile[Profile.GUEST]) | named | foster
                  | set(rng.sample(by_profile[Profile.STUDENT], 8))
                  | set(rng.sample(by_profile[Profile.RELATIVE], 8)))


def _add_manual_and_archived_groups() -> None:
    """What the demo lacks for every group kind: manual groups (a teacher's and a pupil's)
    and an archived class with its groups."""
    teacher = User.objects.get(login="demo.enseignant")
    pupil = User.objects.get(login="demo.eleve")
    for owner, name in ((teacher, "Atelier théâtre"), (pupil, "Mes amies")):
        group = Group.objects.create(kind=GroupKind.MANUAL, name=name, owner=owner,
                                     structure=StructureAttachment.objects.filter(
                                         user=owner).first().structure)
        Membership.objects.create(group=group, user=owner, source=MembershipSource.MANUAL)
    past_year = SchoolYear.objects.filter(is_current=False).first()
    school = StructureAttachment.objects.filter(user=teacher).first().structure
    past = SchoolClass.objects.create(structure=school, school_year=past_year, code="OLD",
                                      name="Ancienne classe")
    for group in ensure_class_groups(past).values():
        Membership.objects.create(group=group, user=teacher, source=MembershipSource.MANUAL)


def _group_sample(world: World, groups: set[int], rng: random.Random) -> list[int]:
    picked: list[int] = []
    for kind in GroupKind.values:
        of_kind = sorted(pk for pk, g in world.groups.items() if g.kind == kind)
        for wanted in (True, False):
            candidates = [pk for pk in of_kind if (pk in groups) == wanted]
            picked += rng.sample(candidates, min(3, len(candidates)))
    return picked


def test_the_rules_table_holds_for_every_profile_and_group_kind(demo):
    _add_manual_and_archived_groups()
    world = World.read()
    kinds = {g.kind for g in world.groups.values()}
    assert kinds == set(GroupKind.values), kinds  # every kind is tried
    assert world.archived
    senders = _senders(world)
    assert {world.profile[s] for s in senders} == set(Profile.values)
    all_people = [f"user:{pk}" for pk in sorted(world.alive)]
    all_groups = [f"group:{pk}" for pk in sorted(world.groups)]
    rng = random.Random(5)
    for sender_id in senders:
        sender = User.objects.get(pk=sender_id)
        people, groups = expected(world, sender_id)
        label = f"{sender.login} ({sender.profile})"
        # The rules themselves, and the Annuaire's search.
        assert set(reachable_users(sender).values_list("pk", flat=True)) == people, label
        assert set(addressable_groups(sender).values_list("pk", flat=True)) == groups, label
        found = search_people(sender, SearchFilters())
        assert set(found.values_list("pk", flat=True)) == people, label
        assert set(search_groups(sender, SearchFilters()).values_list("pk", flat=True)) \
            == groups, label
        # The Messagerie: addressing everyone at once is refused naming exactly those the
        # table leaves out (themself aside: one never writes to oneself).
        tokens = [t for t in all_people if t != f"user:{sender_id}"] + all_groups
        refused_people = {t for t in tokens if t.startswith("user:")
                          and int(t[5:]) not in people}
        refused_groups = {t for t in tokens if t.startswith("group:")
                          and int(t[6:]) not in groups}
        with pytest.raises(MessagingError) as refusal:
            check_save_draft(sender, None, to=tokens, subject="Essai")
        assert _refused_tokens(refusal.value) == refused_people | refused_groups, label
        # Groups one by one through the share dialog's action and bookmarks (of every kind,
        # up to three the sender may address and three they may not); a sample of people;
        # and a real send to one addressable group, if any.
        folder = check_create_folder(sender, f"Partages de {sender_id}")
        bookmark = do_create_bookmark(sender, "Essai")
        for pk in _group_sample(world, groups, rng):
            group, allowed = world.groups[pk], pk in groups
            try:
                check_share(sender, folder, groups=[group], rights=[Right.READ])
            except SharingError:
                assert not allowed, (label, group.name)
            else:
                assert allowed, (label, group.name)
            try:
                check_add_bookmark_members(bookmark, groups=[group])
            except DirectoryError:
                assert not allowed, (label, group.name)
            else:
                assert allowed, (label, group.name)
        for pk in rng.sample(sorted(world.alive - {sender_id}), 12):
            person = User.objects.get(pk=pk)
            try:
                check_share(sender, folder, users=[person], rights=[Right.READ])
            except SharingError:
                assert pk not in people, (label, person.login)
            else:
                assert pk in people, (label, person.login)
        populated = groups & world.populated - {pk for pk in groups
                                                if world.members[pk] == {sender_id}}
        if populated:
            target = min(populated, key=lambda pk: world.groups[pk].name)
            sent = check_compose_and_send(sender, to=[f"group:{target}"], subject="Bonjour")
            assert sent.copies.count() == len((world.members[target] & world.alive)
                                              | {sender_id}), label
