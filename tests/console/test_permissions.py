"""Who may open each console page: ENT admins everything, school admins their own schools'
objects (404 for the others, 403 for ENT-wide pages), everyone else 403, anonymous login."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, reverse

from preau.accounts.models import PersonalToken
from preau.accounts.tokens import do_create_token
from tests.personas import Personas

pytestmark = pytest.mark.django_db

PERSONAS = ["ent_admin", "school_admin", "teacher", "colleague", "pupil", "parent",
            "other_teacher", "other_pupil", "guest", None]
NOT_ADMINS = {"teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
              "guest"}


@dataclass
class Case:
    name: str
    url: Callable[[Personas], str]
    ent_admin: int = 200
    school_admin: int = 200
    method: str = "get"
    data: dict | None = None


def _u(name: str, *args: Callable[[Personas], object]) -> Callable[[Personas], str]:
    def url(p: Personas) -> str:
        return reverse(f"console:{name}", args=[a(p).pk for a in args])  # type: ignore[attr-defined]

    return url


def _token(p: Personas) -> PersonalToken:
    do_create_token(p.teacher, "script")
    return PersonalToken.objects.get(user=p.teacher)


CASES = [
    Case("index", _u("index")),
    Case("schools", _u("schools")),
    Case("school", _u("school", lambda p: p.school)),
    Case("other school", _u("school", lambda p: p.other_school), school_admin=404),
    Case("users", _u("users")),
    Case("user: own school's teacher", _u("user", lambda p: p.teacher)),
    Case("user: own school's pupil", _u("user", lambda p: p.pupil)),
    Case("user: other school's teacher", _u("user", lambda p: p.other_teacher),
         school_admin=404),
    Case("user: other school's pupil", _u("user", lambda p: p.other_pupil), school_admin=404),
    Case("user: ENT admin", _u("user", lambda p: p.ent_admin), school_admin=404),
    Case("edit identity", _u("user_edit", lambda p: p.guest)),
    Case("edit identity: other school", _u("user_edit", lambda p: p.other_pupil),
         school_admin=404),
    Case("create account", _u("user_create")),
    Case("create account in school", lambda p: reverse("console:user_create")
         + f"?school={p.school.pk}"),
    Case("create account in other school", lambda p: reverse("console:user_create")
         + f"?school={p.other_school.pk}", school_admin=404),
    Case("rules", _u("rules"), school_admin=403),
    Case("tokens", _u("tokens"), school_admin=403),
    Case("years", _u("years"), school_admin=403),
    Case("quotas", _u("quotas"), school_admin=403),
    # Writes: a success redirects back to a console page.
    Case("block", _u("user_block", lambda p: p.pupil), 302, 302, "post", {"reason": "test"}),
    Case("block other school", _u("user_block", lambda p: p.other_pupil), 302, 404, "post"),
    Case("unblock", _u("user_unblock", lambda p: p.pupil), 302, 302, "post"),
    Case("reset password", _u("user_reset_password", lambda p: p.guest), 302, 302, "post"),
    Case("reset other school", _u("user_reset_password", lambda p: p.other_teacher), 302, 404,
         "post"),
    Case("attach to class", _u("user_attach_class", lambda p: p.colleague), 302, 302, "post",
         {}),
    Case("detach from other class", _u("user_detach_class", lambda p: p.other_teacher,
                                       lambda p: p.other_class), 302, 404, "post"),
    Case("add school admin", _u("school_admin_add", lambda p: p.school), 302, 403, "post",
         {"login": "paul.bernard"}),
    Case("add school admin other school", _u("school_admin_add", lambda p: p.other_school),
         302, 404, "post", {"login": "luc.moreau"}),
    Case("create class", _u("class_create", lambda p: p.school), 302, 302, "post", {}),
    Case("create class other school", _u("class_create", lambda p: p.other_school), 302, 404,
         "post", {}),
    Case("save rules", _u("rules"), 302, 403, "post", {}),
    Case("revoke token", _u("token_revoke", _token), 302, 403, "post"),
    Case("set current year", _u("year_set_current", lambda p: p.year), 302, 403, "post"),
    Case("save profile quota", _u("quotas"), 302, 403, "post",
         {"profile": "Student", "amount": "2", "unit": "GiB"}),
    Case("user quota", _u("user_quota", lambda p: p.pupil), 302, 403, "post",
         {"amount": "2", "unit": "GiB"}),
    Case("user quota other school", _u("user_quota", lambda p: p.other_pupil), 302, 404, "post",
         {"amount": "2", "unit": "GiB"}),
    Case("allow API tokens", _u("user_api_tokens", lambda p: p.pupil), 302, 403, "post",
         {"allowed": "1"}),
    # ENT admins only (tests/accounts/test_second_factor.py: who may reset whose).
    Case("reset second factor", _u("user_reset_second_factor", lambda p: p.colleague), 302,
         403, "post"),
    Case("reset second factor other school",
         _u("user_reset_second_factor", lambda p: p.other_teacher), 302, 403, "post"),
    Case("allow API tokens other school", _u("user_api_tokens", lambda p: p.other_pupil), 302,
         404, "post", {"allowed": "1"}),
]


def _expected(case: Case, persona: str | None) -> int | str:
    if persona is None:
        return "login"
    if persona in NOT_ADMINS:
        return 403
    return getattr(case, persona)


def _outcome(response) -> int | str:
    if response.status_code == 302 and response.url.startswith(reverse("accounts:login")):
        return "login"
    if response.status_code == 302:
        assert response.url.startswith(reverse("console:index")), response.url
    return response.status_code


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_permission_matrix(case, personas, client_for):
    """Every persona and anonymous; each request's writes are rolled back before the next."""
    url = case.url(personas)
    outcomes, expected = {}, {}
    for persona in PERSONAS:
        user = getattr(personas, persona) if persona else None
        client = client_for(user)
        with transaction.atomic():
            post = case.method == "post"
            response = client.post(url, case.data or {}) if post else client.get(url)
            transaction.set_rollback(True)
        outcomes[persona or "anonymous"] = _outcome(response)
        expected[persona or "anonymous"] = _expected(case, persona)
    assert outcomes == expected


def test_matrix_covers_every_console_url():
    """A new console page without a row in the matrix fails here."""
    from preau.console.urls import urlpatterns

    covered = {
        "index", "schools", "school", "users", "user", "user_edit", "user_create", "rules",
        "tokens", "years", "user_block", "user_unblock", "user_reset_password",
        "user_attach_class", "user_detach_class", "school_admin_add", "class_create",
        "token_revoke", "year_set_current", "quotas", "user_quota", "user_api_tokens",
        "user_reset_second_factor",
    }
    also_tested_elsewhere = {"school_admin_remove", "user_attach_school", "user_detach_school",
                             "user_link_child", "user_unlink_child"}
    assert {p.name for p in urlpatterns if isinstance(p, URLPattern)} == (
        covered | also_tested_elsewhere)


def test_non_admins_do_not_see_the_console_link(personas, client_for):
    response = client_for(personas.teacher).get(reverse("home"))
    assert reverse("console:index") not in response.content.decode()
    response = client_for(personas.school_admin).get(reverse("home"))
    assert reverse("console:index") in response.content.decode()


def test_school_admin_does_not_see_ent_wide_tabs(personas, client_for):
    body = client_for(personas.school_admin).get(reverse("console:index")).content.decode()
    assert reverse("console:rules") not in body
    assert reverse("console:tokens") not in body
    body = client_for(personas.ent_admin).get(reverse("console:index")).content.decode()
    assert reverse("console:rules") in body


@pytest.mark.parametrize("name", ["user_link_child", "user_attach_school"])
def test_other_write_endpoints_refuse_non_admins_and_other_schools(name, personas, client_for):
    url = reverse(f"console:{name}", args=[personas.other_pupil.pk])
    assert client_for(personas.teacher).post(url, {}).status_code == 403
    assert client_for(personas.school_admin).post(url, {}).status_code == 404
    assert client_for(None).post(url, {}).status_code == 302


def test_get_on_write_endpoints_is_refused(personas, client_for):
    url = reverse("console:user_block", args=[personas.pupil.pk])
    assert client_for(personas.ent_admin).get(url).status_code == 405
    from preau.accounts.models import State

    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE
