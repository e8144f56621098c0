"""Named test personas in one small world, so every view test covers who may and who may not.

School A (0591001A) has class CM1-A with a pupil, her parent and her teacher; a colleague
teacher of school A has no class yet; school B has its own teacher. Plus a school admin of
A, an ENT admin, and a guest of A.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from preau.accounts.actions import do_create_user
from preau.accounts.models import Profile, Source, State, User
from preau.directory.actions import (
    do_add_to_class,
    do_attach_to_structure,
    do_create_class,
    do_link_relative,
)
from preau.directory.models import (
    Academy,
    MembershipSource,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    Structure,
)

PASSWORD = "Persona-pass-2023"


@dataclass
class Personas:
    year: SchoolYear
    academy: Academy
    school: Structure
    other_school: Structure
    school_class: SchoolClass
    empty_class: SchoolClass
    other_class: SchoolClass
    teacher: User
    colleague: User
    pupil: User
    parent: User
    other_teacher: User
    other_pupil: User
    school_admin: User
    ent_admin: User
    guest: User

    def all_users(self) -> dict[str, User]:
        return {name: getattr(self, name) for name in (
            "teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
            "school_admin", "ent_admin", "guest")}


def make_user(first: str, last: str, profile: str, **extra: object) -> User:
    user = do_create_user(first_name=first, last_name=last, profile=profile,
                          source=extra.pop("source", Source.MANUAL), **extra)  # type: ignore[arg-type]
    user.set_password(PASSWORD)
    user.state = State.ACTIVE
    user.activation_code = ""
    user.save()
    return user


def build_personas() -> Personas:
    year = SchoolYear.objects.create(name="2023-2024", start=datetime.date(2023, 9, 1),
                                     end=datetime.date(2024, 7, 6), is_current=True)
    academy = Academy.objects.create(code="09", name="Académie de Lille", feed_prefix="lille")
    school = Structure.objects.create(uai="0591001A", name="École Jean Jaurès", academy=academy,
                                      circonscription="Lille 1")
    other = Structure.objects.create(uai="0592002B", name="École Louise Michel", academy=academy,
                                     circonscription="Lille 2")
    cm1 = do_create_class(school, "CM1-A", "CM1 A", ["CM1"])
    cp = do_create_class(school, "CP-B", "CP B", ["CP"])
    ce2 = do_create_class(other, "CE2", "CE2 Louise", ["CE2"])

    teacher = make_user("Jeanne", "Petit", Profile.TEACHER,
                        academic_email="jeanne.petit@ac-test.fr")
    colleague = make_user("Paul", "Bernard", Profile.TEACHER)
    pupil = make_user("Chloé", "Martin", Profile.STUDENT, birth_date=datetime.date(2014, 9, 2))
    parent = make_user("Marie", "Martin", Profile.RELATIVE)
    other_teacher = make_user("Luc", "Moreau", Profile.TEACHER)
    other_pupil = make_user("Hugo", "Lefèvre", Profile.STUDENT)
    school_admin = make_user("Sophie", "Durand", Profile.PERSONNEL)
    ent_admin = make_user("Admin", "ENT", Profile.PERSONNEL, is_ent_admin=True)
    guest = make_user("Invité", "Visiteur", Profile.GUEST)

    for user in (teacher, colleague, pupil, parent, school_admin, guest):
        do_attach_to_structure(user, school, Source.MANUAL, is_director=user is school_admin)
    for user in (other_teacher, other_pupil):
        do_attach_to_structure(user, other, Source.MANUAL)
    do_add_to_class(pupil, cm1, MembershipSource.FEED)
    do_add_to_class(teacher, cm1, MembershipSource.MANUAL)
    do_link_relative(parent, pupil)
    do_add_to_class(parent, cm1, MembershipSource.FEED)
    do_add_to_class(other_pupil, ce2, MembershipSource.FEED)
    do_add_to_class(other_teacher, ce2, MembershipSource.FEED)
    SchoolAdmin.objects.create(user=school_admin, structure=school)
    return Personas(year=year, academy=academy, school=school, other_school=other,
                    school_class=cm1, empty_class=cp, other_class=ce2, teacher=teacher,
                    colleague=colleague, pupil=pupil, parent=parent,
                    other_teacher=other_teacher, other_pupil=other_pupil,
                    school_admin=school_admin, ent_admin=ent_admin, guest=guest)
