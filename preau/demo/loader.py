"""The demo académie: a deterministic, fictitious directory to try Préau on a laptop.

`load_demo` walks the real path: the académie's AAF1D files are generated from the plan
(preau.demo.plan, preau.demo.feed) into `$PREAU_DATA_DIR/demo-feed/` and imported with the
real importer (`do_import`, the action behind `preau feed import`), so the schools, classes,
teachers, ATSEM, pupils, parents and their links are the feed's, and the run is listed in
the console's feed pages. Then, through the ordinary actions, the demo adds what no feed
carries: the ENT administrator, the personas' fixed logins and passwords, teachers' and
ATSEM's class attachments (made by hand in 1D), the school administrators, the guest, the
foster family, last year's closed classes and the share bookmarks.

Everything is generated from fixed seeds, so two fresh loads give the same people, logins,
schools and classes; only the activation codes (credentials) come from `secrets`, like real
ones. No real personal data: names are drawn by Faker, e-mails use the reserved
`example.org` domain, UAIs and the académie code (99) do not exist.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from preau.accounts.actions import (
    do_change_login,
    do_create_user,
    hashed_demo_password,
    record_event,
)
from preau.accounts.models import PasswordHistory, Profile, Source, State, User, UserEvent
from preau.console.actions import check_set_school_admin
from preau.demo.feed import (
    parent_id,
    persona_parent,
    pupil_id,
    staff_id,
    teacher_id,
    write_demo_feed,
)
from preau.demo.plan import (
    ACADEMY_CODE,
    ACADEMY_NAME,
    CLASSES,
    CURRENT_YEAR,
    DEMO_PREFIX,
    EMAIL_DOMAIN,
    FOSTER_CLASS,
    LOGINS_FILE_NAME,
    PERSONA_CLASS,
    PERSONA_LOGINS,
    PREVIOUS_YEAR,
    PREVIOUS_YEAR_CLOSED_AT,
    SCHOOLS,
    SEED,
    STAFF,
    TEACHERS,
    Plan,
    class_label,
    first_pupil_of,
    make_plan,
)
from preau.directory.actions import (
    check_approve_class_attachment,
    check_attach_teacher_to_class,
    check_create_bookmark,
    do_add_to_class,
    do_attach_to_structure,
    do_link_relative,
    ensure_class_groups,
)
from preau.directory.models import (
    Academy,
    Membership,
    MembershipSource,
    SchoolClass,
    SchoolYear,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.documents.actions import check_create_folder, do_upload
from preau.documents.models import Node
from preau.feeds.actions import do_import
from preau.feeds.models import FeedFormat, FeedRun
from preau.lib import csvfile
from preau.messaging.actions import (
    check_add_attachment,
    check_compose_and_send,
    check_reply,
    check_save_draft,
    check_send,
)
from preau.messaging.models import MessageCopy
from preau.sharing.actions import check_share
from preau.sharing.models import Right

__all__ = ["DEMO_PREFIX", "DemoLoadError", "LoadReport", "demo_counts", "demo_loaded",
           "demo_users", "load_demo", "logins_file", "make_plan", "write_logins_file"]

FEED_ACTOR_LABEL = "preau demo"


class DemoLoadError(Exception):
    """The demo's feed run did not apply (a bug): the whole load is rolled back."""


@dataclass
class LoadReport:
    loaded: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    logins_file: Path | None = None
    feed_run: FeedRun | None = None


def demo_loaded() -> bool:
    """The demo académie is recognised by its feed prefix, whatever else the base holds."""
    return Academy.objects.filter(feed_prefix=DEMO_PREFIX).exists()


def logins_file() -> Path:
    return Path(settings.DATA_DIR) / LOGINS_FILE_NAME


def _email(login: str) -> str:
    return f"{login}@{EMAIL_DOMAIN}"


@transaction.atomic
def load_demo(seed: int = SEED) -> LoadReport:
    """Loads the demo académie once; a second call changes nothing and says so."""
    if demo_loaded():
        return LoadReport(loaded=False)
    started = time.monotonic()
    plan = make_plan(seed)
    year = _school_years()
    Academy.objects.create(code=ACADEMY_CODE, name=ACADEMY_NAME, feed_prefix=DEMO_PREFIX)
    run = do_import(write_demo_feed(plan), format=FeedFormat.AAF1D, academy=DEMO_PREFIX,
                    actor_label=FEED_ACTOR_LABEL)
    if run.status != FeedRun.Status.APPLIED:
        raise DemoLoadError(f"the demo feed run #{run.pk} was not applied "
                            f"({run.status}): {run.message}")

    schools = [Structure.objects.get(uai=uai) for uai, _name, _short, _c in SCHOOLS]
    classes = [SchoolClass.objects.get(structure=schools[school_index], school_year=year,
                                       code=class_label(levels, SCHOOLS[school_index][2])[0])
               for school_index, levels, _size in CLASSES]
    fed = {u.external_id: u for u in User.objects.filter(external_prefix=DEMO_PREFIX)}
    _previous_year_classes(schools)
    password_hash = hashed_demo_password(settings.PREAU_DEMO_PASSWORD)
    first, last = plan.admin_name
    admin = _new_persona("demo.admin", first, last, Profile.PERSONNEL, password_hash,
                         is_ent_admin=True, email=_email("demo.admin"))
    _personas(plan, fed, admin, password_hash)
    _staff_places(plan, fed, schools, classes, admin)
    _manual_accounts(plan, fed, schools, classes)
    _load_bookmarks(schools, classes)
    _load_documents(schools, classes)
    _load_messages(classes)
    write_logins_file()
    return LoadReport(loaded=True, seconds=time.monotonic() - started,
                      counts=demo_counts(), logins_file=logins_file(), feed_run=run)


def _school_years() -> SchoolYear:
    """2023-2024 is current unless the base already has a current year; 2022-2023 is not.
    Returns the current year: the feed puts its classes there."""
    name, start, end = PREVIOUS_YEAR
    SchoolYear.objects.get_or_create(name=name, defaults={"start": start, "end": end})
    name, start, end = CURRENT_YEAR
    SchoolYear.objects.get_or_create(
        name=name, defaults={"start": start, "end": end,
                             "is_current": not SchoolYear.objects.filter(is_current=True)
                             .exists()})
    return SchoolYear.objects.get(is_current=True)


def _previous_year_classes(schools: list[Structure]) -> None:
    """Last year's classes, as the year change leaves them: closed, without groups."""
    previous = SchoolYear.objects.get(name=PREVIOUS_YEAR[0])
    SchoolClass.objects.bulk_create([
        SchoolClass(structure=schools[school_index], school_year=previous,
                    code=class_label(levels, SCHOOLS[school_index][2])[0],
                    name=class_label(levels, SCHOOLS[school_index][2])[1],
                    levels=levels, closed_at=PREVIOUS_YEAR_CLOSED_AT)
        for school_index, levels, _size in CLASSES
    ])


def _activate_persona(user: User, password_hash: str) -> None:
    """What `do_activate` does, with the one precomputed hash (hashing is slow by design)."""
    now = timezone.now()
    user.password = password_hash
    user.password_changed_at = now
    user.activation_code = ""
    user.activated_at = now
    user.charter_accepted_at = now
    user.state = State.ACTIVE
    user.save()
    PasswordHistory.objects.create(user=user, password=password_hash)
    record_event(user, UserEvent.Kind.ACTIVATED, user)


def _new_persona(login: str, first: str, last: str, profile: str, password_hash: str,
                 **fields: Any) -> User:
    """A manual account (not the feed's) with a fixed login, activated."""
    user = do_create_user(first_name=first, last_name=last, profile=profile,
                          source=Source.MANUAL, login=login, **fields)
    _activate_persona(user, password_hash)
    return user


def _personas(plan: Plan, fed: dict[str, User], admin: User, password_hash: str) -> None:
    """The fed personas get their fixed login (the feed made `prenom.nom`) and the demo
    password."""
    fixed = {
        teacher_id(number): login for number, (login, *_rest) in enumerate(TEACHERS) if login
    }
    fixed[pupil_id(first_pupil_of(plan.pupils, PERSONA_CLASS))] = "demo.eleve"
    fixed[parent_id(persona_parent(plan))] = "demo.parent"
    for external_id, login in fixed.items():
        user = fed[external_id]
        do_change_login(user, login, actor=admin)
        _activate_persona(user, password_hash)


def _staff_places(plan: Plan, fed: dict[str, User], schools: list[Structure],
                  classes: list[SchoolClass], admin: User) -> None:
    """What a 1D feed leaves to people: teachers attach to their classes (the guide's way,
    once the class has pupils), ATSEM are put in their class, directors administer their
    school."""
    for number, (_login, school_indices, class_indices, director) in enumerate(TEACHERS):
        teacher = fed[teacher_id(number)]
        for class_index in class_indices:
            check_attach_teacher_to_class(teacher, classes[class_index], actor=teacher)
        if director:
            for school_index in school_indices:
                check_set_school_admin(schools[school_index], teacher.login, admin)
    # demo.directeur has approved demo.enseignant's attachment (so her class's connection
    # sheets and password resets are hers); her colleagues' still wait for approval.
    persona = next(fed[teacher_id(n)] for n, row in enumerate(TEACHERS)
                   if row[0] == "demo.enseignant")
    head = next(fed[teacher_id(n)] for n, row in enumerate(TEACHERS)
                if row[0] == "demo.directeur")
    check_approve_class_attachment(
        Membership.objects.get(user=persona, group__school_class=classes[PERSONA_CLASS],
                               source=MembershipSource.MANUAL), head)
    for number, (_school_index, class_index) in enumerate(STAFF):
        do_add_to_class(fed[staff_id(number)], classes[class_index], MembershipSource.MANUAL,
                        actor=admin)


def _manual_accounts(plan: Plan, fed: dict[str, User], schools: list[Structure],
                     classes: list[SchoolClass]) -> None:
    """The guest and the foster family: accounts an admin makes by hand."""
    first, last = plan.guest_name
    guest = do_create_user(first_name=first, last_name=last, profile=Profile.GUEST)
    do_attach_to_structure(guest, schools[0], Source.MANUAL)

    # A foster family (famille d'accueil): a manual Relative account, not a legal parent.
    first, last = plan.foster_name
    foster = do_create_user(first_name=first, last_name=last, profile=Profile.RELATIVE)
    do_link_relative(foster, fed[pupil_id(plan.foster_child)], Source.MANUAL, legal=False)
    do_add_to_class(foster, classes[FOSTER_CLASS], MembershipSource.MANUAL)


def _load_bookmarks(schools: list[Structure], classes: list[SchoolClass]) -> None:
    """Two share bookmarks of demo.enseignant: one of people (kept at the year change), one
    holding a class group (a groupe de scolarité, which the year change would purge)."""
    teacher = User.objects.get(login="demo.enseignant")
    colleagues = list(User.objects.filter(profile=Profile.TEACHER,
                                          attachments__structure=schools[0])
                      .exclude(pk=teacher.pk).order_by("last_name", "first_name"))
    check_create_bookmark(teacher, "Équipe des Tilleuls", users=colleagues)
    school_class = classes[PERSONA_CLASS]
    check_create_bookmark(teacher, f"Parents du {school_class.code}",
                          groups=[ensure_class_groups(school_class)[Profile.RELATIVE]])


def _demo_file(owner: User, name: str, data: bytes, folder: Node | None = None) -> Node:
    return do_upload(owner, io.BytesIO(data), name=name, folder=folder, size=len(data))


def _demo_image() -> bytes:
    """A small picture (a green field under a blue sky) for the thumbnails and preview."""
    image = Image.new("RGB", (480, 320), (120, 180, 90))
    image.paste((110, 160, 230), (0, 0, 480, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _load_documents(schools: list[Structure], classes: list[SchoolClass]) -> None:
    """demo.enseignant's document space, shared in each way the guide lists: a class folder
    with the class's pupils and parents (purged at the year change), a file through the
    "Équipe des Tilleuls" bookmark (kept), a file with gestion to the head teacher (kept,
    and it would survive her departure)."""
    teacher = User.objects.get(login="demo.enseignant")
    school_class = classes[PERSONA_CLASS]
    groups = ensure_class_groups(school_class)
    folder = check_create_folder(teacher, f"Cahier mémo {school_class.name}")
    _demo_file(teacher, "Poésie de la semaine.txt",
               "Le cancre\nIl dit non avec la tête\nmais il dit oui avec le cœur\n"
               .encode(), folder)
    _demo_file(teacher, "Sortie au musée.png", _demo_image(), folder)
    check_share(teacher, folder, groups=[groups[Profile.STUDENT], groups[Profile.RELATIVE]],
                rights=[Right.READ, Right.COMMENT])
    progression = _demo_file(teacher, "Progression annuelle.txt",
                             "Période 1 : numération jusqu'à 1 000\n".encode())
    team = ShareBookmark.objects.get(owner=teacher, name="Équipe des Tilleuls")
    check_share(teacher, progression, bookmark=team, rights=[Right.READ])
    garden = _demo_file(teacher, "Projet jardin.txt", b"Semis de radis en mars\n")
    director = User.objects.get(login="demo.directeur")
    check_share(teacher, garden, users=[director], rights=[Right.MANAGE])


def _load_messages(classes: list[SchoolClass]) -> None:
    """demo.enseignant's mailbox, written through the Messagerie's actions: a message to her
    class's parents (a group, expanded at send time) with an attachment, one received from
    the head teacher (unread), and her answer."""
    teacher = User.objects.get(login="demo.enseignant")
    director = User.objects.get(login="demo.directeur")
    parents = ensure_class_groups(classes[PERSONA_CLASS])[Profile.RELATIVE]
    outing = check_save_draft(
        teacher, None, to=[f"group:{parents.pk}"], subject="Sortie au musée le 12 octobre",
        body="Bonjour,\n\nLa classe visitera le musée des Beaux-Arts le jeudi 12 octobre. "
             "Merci de signer l'autorisation jointe.\n\nCordialement,\nLa maîtresse")
    check_add_attachment(teacher, outing, io.BytesIO(
        "Autorisation de sortie\nJ'autorise mon enfant à participer à la sortie.\n".encode()),
        name="Autorisation de sortie.txt",
        size=len("Autorisation de sortie\nJ'autorise mon enfant à participer à la sortie.\n"
                 .encode()))
    check_send(teacher, outing)
    council = check_compose_and_send(
        director, to=[f"user:{teacher.pk}"], subject="Conseil des maîtres jeudi",
        body="<p>Bonjour à toutes et à tous,</p><p>Le conseil des maîtres aura lieu "
             "<strong>jeudi à 17 h</strong> en salle des maîtres.</p>")
    answer = check_reply(teacher, MessageCopy.objects.get(message=council, user=teacher))
    check_save_draft(teacher, answer.draft, to=[f"user:{director.pk}"],
                     subject=answer.draft.subject,
                     body="<p>Bien noté, je serai là.</p>" + answer.draft.body)
    check_send(teacher, answer.draft)
    # The head teacher's message stays unread for the demo; the answer is read by him.
    MessageCopy.objects.filter(message=council, user=teacher).update(is_unread=True)


def demo_users() -> list[User]:
    """Accounts of the demo: those attached to its schools, plus the ENT admin persona."""
    schools = Structure.objects.filter(academy__feed_prefix=DEMO_PREFIX)
    attached = StructureAttachment.objects.filter(structure__in=schools).values("user")
    users = User.objects.filter(Q(id__in=attached) | Q(login__in=PERSONA_LOGINS))
    return sorted(users, key=lambda u: (u.login not in PERSONA_LOGINS,
                                        PERSONA_LOGINS.index(u.login)
                                        if u.login in PERSONA_LOGINS else 0,
                                        u.profile, u.last_name, u.first_name, u.login))


def demo_counts() -> dict[str, int]:
    """Schools, current classes and accounts of the demo académie, by profile."""
    schools = Structure.objects.filter(academy__feed_prefix=DEMO_PREFIX)
    counts: dict[str, int] = {
        "schools": schools.count(),
        "classes": SchoolClass.objects.active().filter(structure__in=schools).count(),
    }
    by_profile = Counter(u.profile for u in demo_users())
    for profile in Profile.values:
        counts[profile] = by_profile.get(profile, 0)
    return counts


def write_logins_file() -> Path:
    """Every demo login with its activation code (or the demo password for the personas),
    rewritten from the base at each `preau demo`.

    The file holds credentials: it is readable by its owner only.
    """
    path = logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    schools: dict[int, list[str]] = {}
    for user_id, uai in (StructureAttachment.objects
                         .filter(structure__academy__feed_prefix=DEMO_PREFIX)
                         .order_by("structure__uai").values_list("user_id", "structure__uai")):
        schools.setdefault(user_id, []).append(uai)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csvfile.writer(out)
        writer.writerow(["login", "profile", "first_name", "last_name", "schools", "state",
                         "activation_code", "password"])
        for user in demo_users():
            writer.writerow([
                user.login, user.profile, user.first_name, user.last_name,
                " ".join(schools.get(user.pk, [])), user.state, user.activation_code,
                settings.PREAU_DEMO_PASSWORD if user.login in PERSONA_LOGINS else "",
            ])
    path.chmod(0o600)
    return path

