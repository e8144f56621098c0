"""Connection sheets: who may print them, what they say, and a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.accounts.actions import do_create_user, do_reset_password
from preau.accounts.models import Profile, State
from preau.directory.actions import do_add_to_class, do_link_relative
from preau.directory.models import MembershipSource
from tests.accounts.helpers import text

pytestmark = pytest.mark.django_db

ACTORS = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
          "school_admin", "ent_admin", "guest", None]

# The sheets of CM1 A: its teacher and the admins. The colleague sees the class but does not
# manage it (403); the class's pupil and parent see it too (403); the rest do not (404).
CLASS_MATRIX = {
    "teacher": 200, "colleague": 403, "pupil": 403, "parent": 403, "other_teacher": 404,
    "other_pupil": 404, "school_admin": 200, "ent_admin": 200, "guest": 404, None: 302,
}
USER_MATRIX = {
    "teacher": 200, "colleague": 403, "pupil": 404, "parent": 403, "other_teacher": 404,
    "other_pupil": 404, "school_admin": 200, "ent_admin": 200, "guest": 404, None: 302,
}


def class_url(school_class, query=""):
    return reverse("accounts:class_sheets", args=[school_class.pk]) + query


@pytest.mark.parametrize("actor_name", ACTORS)
def test_class_sheets_permission_matrix(client_for, personas, actor_name):
    actor = getattr(personas, actor_name) if actor_name else None
    response = client_for(actor).get(class_url(personas.school_class))
    assert response.status_code == CLASS_MATRIX[actor_name]
    if actor is None:
        assert response["Location"].startswith(reverse("accounts:login"))
    if response.status_code == 200:
        assert personas.pupil.login in text(response)


@pytest.mark.parametrize("actor_name", ACTORS)
def test_user_sheet_permission_matrix(client_for, personas, actor_name):
    actor = getattr(personas, actor_name) if actor_name else None
    response = client_for(actor).get(reverse("accounts:user_sheet", args=[personas.pupil.pk]))
    assert response.status_code == USER_MATRIX[actor_name]
    if response.status_code == 200:
        assert personas.pupil.login in text(response)


def test_other_class_is_404_for_the_teacher(client_for, personas):
    assert client_for(personas.teacher).get(class_url(personas.other_class)).status_code == 404


def test_pending_pupil_sheet_shows_everything_needed(client_for, personas, settings):
    code = do_reset_password(personas.pupil, personas.teacher)
    response = client_for(personas.teacher).get(class_url(personas.school_class))
    html = text(response)
    assert settings.PREAU_ENT_NAME in html
    assert "Chloé Martin" in html
    assert personas.school_class.name in html
    assert personas.pupil.login in html
    assert code in html
    assert "http://testserver" + reverse("accounts:activate") in html
    assert "data-print" in html
    assert 'class="sheet' in html
    assert "<script>" not in html and 'style="' not in html
    assert personas.parent.login not in html  # pupils only by default


def test_activated_pupil_sheet_says_so_without_a_code(client_for, personas):
    html = text(client_for(personas.teacher).get(class_url(personas.school_class)))
    assert "Compte déjà activé" in html
    assert "Code d'activation" not in html.split("<article")[1]


def test_parents_only_and_both(client_for, personas):
    client = client_for(personas.teacher)
    parents = client.get(class_url(personas.school_class, "?profils=parents"))
    sheets = parents.context["sheets"]
    assert [s.person for s in sheets] == [personas.parent]
    assert sheets[0].children == [personas.pupil]
    assert "Parent de" in text(parents)
    both = client.get(class_url(personas.school_class, "?profils=eleves&profils=parents"))
    assert [s.person for s in both.context["sheets"]] == [personas.pupil, personas.parent]
    comma = client.get(class_url(personas.school_class, "?profils=eleves,parents"))
    assert [s.person for s in comma.context["sheets"]] == [personas.pupil, personas.parent]


def test_deleted_pupils_get_no_sheet(client_for, personas):
    personas.pupil.state = State.DELETED
    personas.pupil.save()
    response = client_for(personas.teacher).get(class_url(personas.school_class))
    assert response.context["sheets"] == []


def test_single_sheet_after_a_reset_shows_the_new_code(client_for, personas):
    code = do_reset_password(personas.pupil, personas.teacher)
    response = client_for(personas.teacher).get(
        reverse("accounts:user_sheet", args=[personas.pupil.pk]))
    html = text(response)
    assert code in html
    assert personas.school_class.name in html
    assert "http://testserver" + reverse("accounts:activate") in html


def test_parent_single_sheet_names_the_children(client_for, personas):
    response = client_for(personas.school_admin).get(
        reverse("accounts:user_sheet", args=[personas.parent.pk]))
    assert response.status_code == 200
    sheet = response.context["sheets"][0]
    assert sheet.children == [personas.pupil]
    assert personas.school_class.name in sheet.classes


def add_pupils(school_class, count):
    for n in range(count):
        pupil = do_create_user(first_name=f"Élève{n}", last_name="Test", profile=Profile.STUDENT)
        do_add_to_class(pupil, school_class, MembershipSource.FEED)
        parent = do_create_user(first_name=f"Parent{n}", last_name="Test",
                                profile=Profile.RELATIVE)
        do_link_relative(parent, pupil)


@pytest.mark.parametrize("query", ["", "?profils=eleves,parents"])
def test_class_sheets_query_count_does_not_grow_with_pupils(client_for, personas,
                                                            django_assert_num_queries, query):
    client = client_for(personas.teacher)
    school_class = personas.school_class
    add_pupils(school_class, 2)  # three pupils with the persona
    with CaptureQueriesContext(connection) as three:
        response = client.get(class_url(school_class, query))
    assert len(response.context["sheets"]) == (3 if not query else 6)
    add_pupils(school_class, 7)  # ten pupils
    with django_assert_num_queries(len(three.captured_queries)):
        response = client.get(class_url(school_class, query))
    assert len(response.context["sheets"]) == (10 if not query else 20)
