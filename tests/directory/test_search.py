"""The Annuaire search: only reachable people and visible groups, accent-insensitive, paged,
live through htmx, and with a query count that does not grow with the results."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import do_add_to_class, do_attach_to_structure
from preau.directory.models import MembershipSource
from tests.personas import make_user

pytestmark = pytest.mark.django_db

SEARCH = reverse("directory:search")


def _names(response) -> set[str]:
    """Names listed as results (people and groups), from the page's context."""
    names = set()
    for result in response.context["page"].object_list:
        names.add(result.group.name if result.kind == "group" else result.person.user.full_name)
    return names


def _people(response) -> set[str]:
    return {r.person.user.full_name for r in response.context["page"].object_list
            if r.kind == "person"}


def test_pupil_cannot_find_a_pupil_of_another_school(client_for, personas):
    response = client_for(personas.pupil).get(SEARCH, {"q": "Hugo"})
    assert response.status_code == 200
    assert "Hugo Lefèvre" not in _names(response)
    assert "Hugo Lefèvre" not in response.content.decode()


def test_pupil_finds_her_teacher_not_the_colleague(client_for, personas):
    response = client_for(personas.pupil).get(SEARCH)
    names = _names(response)
    assert "Jeanne Petit" in names
    assert "Paul Bernard" not in names


def test_teacher_does_not_find_the_other_school(client_for, personas):
    response = client_for(personas.teacher).get(SEARCH, {"q": "lefevre"})
    assert _names(response) == set()
    assert "Personne" in response.content.decode()  # "Personne trouvé(e)…" empty state


def test_ent_admin_finds_everyone(client_for, personas):
    response = client_for(personas.ent_admin).get(SEARCH, {"q": "lefevre"})
    assert "Hugo Lefèvre" in _names(response)


def test_parent_finds_the_teacher_of_her_child(client_for, personas):
    response = client_for(personas.parent).get(SEARCH, {"q": "petit"})
    assert _names(response) == {"Jeanne Petit"}
    assert "Paul Bernard" not in _names(client_for(personas.parent).get(SEARCH, {"q": "paul"}))


@pytest.mark.parametrize("text", ["chloe", "CHLOÉ", "  chlo  ", "martin chloe", "chloé.mar"])
def test_search_ignores_accents_case_and_word_order(client_for, personas, text):
    response = client_for(personas.teacher).get(SEARCH, {"q": text})
    assert "Chloé Martin" in _names(response)


def test_search_finds_groups_accent_insensitively(client_for, personas):
    response = client_for(personas.teacher).get(SEARCH, {"q": "eleves cm1"})
    assert "Élèves — CM1 A" in _names(response)
    assert "Élèves — CE2 Louise" not in _names(
        client_for(personas.teacher).get(SEARCH, {"q": "eleves"}))


def test_pupil_finds_only_the_groups_she_may_address(client_for, personas):
    """She belongs to « Élèves — CM1 A » but pupils may not reach pupils: only her class's
    teachers' group is offered."""
    names = _names(client_for(personas.pupil).get(SEARCH, {"q": "cm1"}))
    assert names == {"Enseignants — CM1 A"}
    assert _names(client_for(personas.pupil).get(SEARCH, {"q": "jaures"})) == set()


def test_filter_by_profile(client_for, personas):
    response = client_for(personas.teacher).get(SEARCH, {"profile": Profile.TEACHER})
    assert _people(response) == {"Paul Bernard"}
    assert "Enseignants — CM1 A" in _names(response)
    assert "Élèves — CM1 A" not in _names(response)


def test_filter_by_class(client_for, personas):
    response = client_for(personas.teacher).get(
        SEARCH, {"school_class": personas.school_class.pk, "q": "martin"})
    assert _names(response) == {"Chloé Martin", "Marie Martin"}
    empty = client_for(personas.teacher).get(SEARCH, {"school_class": personas.empty_class.pk,
                                                      "profile": Profile.STUDENT})
    assert _names(empty) == {"Élèves — CP B"}  # the class's (empty) pupils group only


def test_filter_by_a_class_not_visible_is_ignored_and_leaks_nothing(client_for, personas):
    response = client_for(personas.teacher).get(
        SEARCH, {"school_class": personas.other_class.pk, "q": "hugo"})
    assert response.status_code == 200
    assert _names(response) == set()
    assert response.context["form"].errors.get("school_class")


def test_filter_by_school(client_for, personas):
    response = client_for(personas.ent_admin).get(
        SEARCH, {"school": personas.other_school.pk, "profile": Profile.STUDENT})
    assert _people(response) == {"Hugo Lefèvre"}
    assert _names(response) - _people(response) == {"Élèves — CE2 Louise",
                                                    "Élèves — École Louise Michel"}
    # The class choices follow the chosen school.
    choices = list(response.context["form"].fields["school_class"].queryset)
    assert choices == [personas.other_class]


def test_search_works_without_javascript_as_a_full_page(client_for, personas):
    response = client_for(personas.teacher).get(SEARCH, {"q": "chloe"})
    content = response.content.decode()
    assert "<html" in content
    assert 'name="q"' in content and 'value="chloe"' in content
    assert 'action="/annuaire/favoris/nouveau/"' in content


def test_htmx_gets_only_the_results(client_for, personas):
    response = client_for(personas.teacher).get(
        SEARCH, {"q": "chloe"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
    content = response.content.decode()
    assert "<html" not in content
    assert "Chloé Martin" in content
    assert 'id="results-heading"' in content


def test_htmx_class_filter_follows_the_school(client_for, personas):
    response = client_for(personas.ent_admin).get(
        SEARCH, {"school": personas.school.pk}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="class-filter")
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="class-filter"' in content
    assert "CM1 A" in content and "CE2 Louise" not in content


def test_htmx_history_restore_gets_the_full_page(client_for, personas):
    response = client_for(personas.teacher).get(
        SEARCH, {"q": "chloe"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_results_are_paginated(client_for, personas):
    for number in range(60):
        person = make_user("Élève", f"Nombreux{number:02d}", Profile.STUDENT)
        do_attach_to_structure(person, personas.school)
    client = client_for(personas.teacher)
    first = client.get(SEARCH, {"q": "nombreux"})
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 50
    assert "page=2" in first.content.decode()
    second = client.get(SEARCH, {"q": "nombreux", "page": 2})
    assert len(second.context["page"].object_list) == 10
    assert "Élève Nombreux59" in _names(second)


def _add_pupils(personas, count: int) -> None:
    for number in range(count):
        pupil = make_user("Camille", f"Dupont{number:02d}", Profile.STUDENT)
        do_add_to_class(pupil, personas.school_class, MembershipSource.FEED)


def _search_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, params)
    assert response.status_code == 200
    return len(queries)


def test_search_query_count_does_not_grow_with_results(client_for, personas,
                                                       django_assert_num_queries):
    client = client_for(personas.teacher)
    client.get(SEARCH)  # warm the session
    _add_pupils(personas, 5)
    few = _search_queries(client, {"q": "dupont"})
    _add_pupils(personas, 25)  # 30 pupils match now, each with a school and a class
    with django_assert_num_queries(few):
        response = client.get(SEARCH, {"q": "dupont"})
    assert len(response.context["page"].object_list) == 30
    assert response.content.decode().count("CM1 A") >= 30
    assert few <= 13  # 12, plus the layout's quota gauge (one query)
