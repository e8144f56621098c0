"""One base class for the refusals of actions, caught once at each boundary.

Generated over the code, not hand-picked: every exception a `do_*` / `check_*` function
raises, and every exception class Préau defines, is a `Refusal` (or one of the few internal
ones listed below); every `Refusal` subclass, raised from an API view or a web view that does
not handle it, answers its own status with its message — never a 500.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

import preau
from preau.directory.actions import do_create_bookmark
from preau.lib.errors import Refusal

# Exceptions that are not refusals shown to a user: caught where they are raised (control
# flow) or bugs and operational failures that must stay a 500.
NOT_REFUSALS = {
    "preau.feeds.actions._RolledBack": "control flow of a dry run, caught by its caller",
    "preau.feeds.lifecycle._DryRun": "control flow of a dry run, caught by its caller",
    "preau.messaging.actions._NoSpace": "turned into RecipientsFull by check_send",
    "preau.feeds.parsers.values.BadDate": "a ValueError the parsers turn into a report line",
    "preau.feeds.parsers.ahead.ParserGone": "the parsing process died: an operational failure",
    "preau.demo.loader.DemoLoadError": "the demo's own feed did not apply: a bug",
    "preau.directory.access.ApprovalPending": "an access function's 403 (a PermissionDenied) "
                                              "that says why; the API keeps its message",
    "preau.sso.views.Refused": "control flow of djangosaml2's ACS (a PermissionDenied), "
                               "turned into the no-account page by handle_acs_failure",
    "preau.sso.views.ChoiceNeeded": "control flow of djangosaml2's ACS (a PermissionDenied), "
                                    "turned into the choice page by handle_acs_failure",
}


def _preau_modules() -> list[Any]:
    modules = []
    for info in pkgutil.walk_packages(preau.__path__, "preau."):
        if info.name.endswith("__main__") or ".migrations." in info.name:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_exception_class_of_preau_is_a_refusal_or_internal():
    _preau_modules()
    defined = {cls for cls in _subclasses(Exception) if cls.__module__.startswith("preau.")
               # Django's per-model DoesNotExist and MultipleObjectsReturned
               and not issubclass(cls, ObjectDoesNotExist | MultipleObjectsReturned)}
    assert len(defined) > 10  # the walk did import the apps
    stray = sorted(_qualname(cls) for cls in defined
                   if not issubclass(cls, Refusal) and _qualname(cls) not in NOT_REFUSALS)
    assert stray == [], "make these subclasses of preau.lib.errors.Refusal"
    assert set(NOT_REFUSALS) <= {_qualname(cls) for cls in defined}


def _raised_classes(module: Any) -> list[tuple[str, str, type]]:
    """(function, line, class) for each `raise X(...)` / `raise f(...)` in the module's
    do_* and check_* functions, X resolved in the module, f through its return type."""
    source = Path(inspect.getfile(module)).read_text()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.FunctionDef)
                and node.name.startswith(("do_", "check_"))):
            continue
        for statement in ast.walk(node):
            if not isinstance(statement, ast.Raise) or statement.exc is None:
                continue
            target = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if not isinstance(target, ast.Name):
                continue
            value = getattr(module, target.id, None)
            if inspect.isfunction(value):
                value = typing.get_type_hints(value).get("return")
            if inspect.isclass(value) and issubclass(value, BaseException):
                found.append((node.name, f"{module.__name__}:{statement.lineno}", value))
    return found


def test_every_exception_an_action_raises_is_a_refusal():
    raised = [item for module in _preau_modules() for item in _raised_classes(module)]
    assert len(raised) > 100  # every actions module was read
    ours = [(where, function, cls) for function, where, cls in raised
            if cls.__module__.startswith("preau.")]
    stray = [(where, function, _qualname(cls)) for where, function, cls in ours
             if not issubclass(cls, Refusal) and _qualname(cls) not in NOT_REFUSALS]
    assert stray == []
    # The others are Django's access errors (404, 403) and programming errors (500).
    others = {cls.__name__ for _f, _w, cls in raised if not cls.__module__.startswith("preau.")}
    assert others <= {"Http404", "PermissionDenied", "ValueError", "RuntimeError",
                      "AssertionError", "NotImplementedError", "CommandError"}


def _instance(cls: type[Refusal]) -> Refusal:
    """One refusal of each class, with what its constructor needs."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    names = [p.name for p in parameters if p.default is inspect.Parameter.empty
             and p.kind is p.POSITIONAL_OR_KEYWORD]
    samples: dict[str, object] = {"message": "Refusé pour le test", "names": ["Chloé Martin"],
                                  "used": 900, "limit": 1000, "size": 200,
                                  "file": "Eleve.xml", "line": 3, "retry_at": None,
                                  "until": timezone.now() + timedelta(minutes=15)}
    if names in ([], ["args"]):  # Exception's own constructor
        return cls("Refusé pour le test")
    return cls(*(samples[name] for name in names))


def _refusal_classes() -> list[type[Refusal]]:
    _preau_modules()
    return sorted({cls for cls in _subclasses(Refusal) if cls.__module__.startswith("preau.")}
                  | {Refusal}, key=_qualname)


@pytest.fixture
def bookmark(personas):
    return do_create_bookmark(personas.teacher, "Équipe", [personas.colleague], [])


@pytest.mark.parametrize("cls", _refusal_classes(), ids=_qualname)
def test_the_api_answers_every_refusal_with_its_status(cls, personas, bookmark, monkeypatch):
    refusal = _instance(cls)

    def refuse(*args: object, **kwargs: object) -> None:
        raise refusal

    monkeypatch.setattr("preau.api.views.do_rename_bookmark", refuse)
    client = APIClient(raise_request_exception=False)
    client.force_login(personas.teacher, backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.patch(f"/api/v1/bookmarks/{bookmark.pk}/", {"name": "Autre"},
                            format="json")
    assert response.status_code == refusal.status
    assert response.json() == {"detail": str(refusal), **refusal.details()}


@pytest.mark.parametrize("cls", _refusal_classes(), ids=_qualname)
def test_a_web_view_that_does_not_catch_a_refusal_answers_it(cls, personas, bookmark, client_for,
                                                              monkeypatch):
    refusal = _instance(cls)

    def refuse(*args: object, **kwargs: object) -> None:
        raise refusal

    monkeypatch.setattr("preau.directory.views.do_remove_unreachable_bookmark_members", refuse)
    client = client_for(personas.teacher)
    client.raise_request_exception = False
    url = f"/annuaire/favoris/{bookmark.pk}/retirer-invisibles/"
    page = f"http://testserver/annuaire/favoris/{bookmark.pk}/"

    response = client.post(url, HTTP_REFERER=page)
    assert response.status_code == refusal.status
    text = response.content.decode()
    assert "Modification refusée" in text and escape(str(refusal)) in text
    assert f'<a href="{page}">Retour</a>' in text

    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == refusal.status
    assert response.content.decode() == (
        f'<p class="message error" role="alert">{escape(str(refusal))}</p>')

    response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.status_code == refusal.status
    assert response.json() == {"detail": str(refusal), **refusal.details()}

    # A back link to another site is not offered.
    response = client.post(url, HTTP_REFERER="https://evil.example/")
    assert '<a href="/">Retour</a>' in response.content.decode()


class _TooSoon(Refusal):
    """A refusal with its own status, figures and headers (like a sending limit's 429)."""

    detail_fields = ("retry_after",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = 429
        self.retry_after = 30

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "30"}


def test_a_refusal_brings_its_status_figures_and_headers(personas, bookmark, client_for,
                                                         monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise _TooSoon("Réessayez dans 30 secondes.")

    monkeypatch.setattr("preau.api.views.do_rename_bookmark", refuse)
    monkeypatch.setattr("preau.directory.views.do_remove_unreachable_bookmark_members", refuse)
    client = APIClient()
    client.force_login(personas.teacher, backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.patch(f"/api/v1/bookmarks/{bookmark.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert response.json() == {"detail": "Réessayez dans 30 secondes.", "retry_after": 30}
    web = client_for(personas.teacher)
    response = web.post(f"/annuaire/favoris/{bookmark.pk}/retirer-invisibles/",
                        HTTP_HX_REQUEST="true")
    assert response.status_code == 429 and response["Retry-After"] == "30"
