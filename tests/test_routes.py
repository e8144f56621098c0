"""Generated over every URL pattern of Préau (`tests/routes.py`), not over hand-picked pages.

- OPTIONS answers on every API endpoint (it was a 500 on the views without a serializer).
- An id too large for the database (past 2**63 - 1) is a 404 in a path, a 400 in the API's
  query strings and bodies, and never a 500 in a web page's query or form, on SQLite and
  PostgreSQL alike.
- Every answer to a logged-in user says `Cache-Control: no-store, private` (pages, htmx
  fragments, the API, downloads).

One world per module (`route_world`): the personas plus one object of each kind the URL
parameters name, owned or reachable by the ENT admin, so that requests reach the views' own
parsing; each test runs in its own savepoint.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

import preau
from preau.accounts.models import User
from preau.accounts.tokens import do_create_token
from preau.lib.ids import MAX_ID
from tests.conftest import FAST_HASHERS
from tests.personas import Personas, build_personas
from tests.routes import TOO_BIG, Route, all_routes, build_world, sample_values

ROUTES = all_routes()
API_ROUTES = [route for route in ROUTES if route.is_api]
ID_ROUTES = [route for route in ROUTES if route.int_params]
BACKEND = "preau.accounts.backends.LocalPasswordBackend"


@dataclass
class World:
    p: Personas
    objects: dict[str, Any]
    data_dir: Path

    def url(self, route: Route, **overrides: str) -> str:
        return route.url({**sample_values(route, self.p, self.objects), **overrides})


@pytest.fixture(scope="module")
def route_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("routes")
    (data_dir / "uploads").mkdir()
    storages = {"documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                              "OPTIONS": {"location": str(data_dir / "documents")}}}
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=FAST_HASHERS, DATA_DIR=data_dir,
            FILE_UPLOAD_TEMP_DIR=str(data_dir / "uploads")), transaction.atomic():
        from django.conf import settings
        with override_settings(STORAGES={**settings.STORAGES, **storages}):
            p = build_personas()
            yield World(p, build_world(p), data_dir)
        transaction.set_rollback(True)


@pytest.fixture
def world(route_world: World, db, settings) -> World:
    """The module's world, in this test's savepoint, with its files where it wrote them."""
    settings.DATA_DIR = route_world.data_dir
    settings.FILE_UPLOAD_TEMP_DIR = str(route_world.data_dir / "uploads")
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(route_world.data_dir / "documents")}}}
    return route_world


def client(user: User | None, cls: type[Client] = Client) -> Any:
    made = cls(raise_request_exception=False)
    if user is not None:
        made.force_login(user, backend=BACKEND)
    return made


def test_every_id_in_a_path_uses_the_id_converter():
    """One mechanism for path ids: `<id:…>` (or `<mailbox:…>`), never Django's `int` nor a
    regular expression of digits, in every URL conf of Préau."""
    assert not [route.name for route in ROUTES if {"int", "digits"} & set(route.params.values())]
    assert {"id", "mailbox"} <= {kind for route in ROUTES for kind in route.params.values()}


def test_the_walk_sees_every_app():
    prefixes = {route.template.split("/")[1] for route in ROUTES}
    assert {"compte", "annuaire", "documents", "messagerie", "administration",
            "changement-annee", "partages", "api"} <= prefixes
    assert len(API_ROUTES) > 60 and len(ID_ROUTES) > 100


# OPTIONS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_options_answers_on_every_api_endpoint(route, world):
    for name in ("ent_admin", "pupil"):
        user = getattr(world.p, name)
        response = client(user, APIClient).options(world.url(route))
        assert response.status_code in (200, 403), (name, response.status_code)
        if name == "ent_admin":
            assert response.status_code == 200
            # (JSON, or the schema view's own YAML)
            assert "/api/v1/schema/" in response.content.decode()
            assert "OPTIONS" in response["Allow"]


# Ids too large for the database --------------------------------------------------------------


@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_an_id_too_large_in_a_path_is_a_404(route, world):
    methods = ("get", "post", "put", "patch", "delete") if route.is_api else ("get", "post")
    made = client(world.p.ent_admin, APIClient)
    for name in route.int_params:
        url = world.url(route, **{name: TOO_BIG})
        for method in methods:
            assert getattr(made, method)(url).status_code == 404, (method, url)
        # The largest id the database holds is still routed (and simply not found).
        largest = world.url(route, **{name: str(MAX_ID)})
        status = made.get(largest).status_code
        assert status < 500, (largest, status)


@functools.cache
def _names_read_by_views() -> set[str]:
    """Every query or form value a view or form of Préau reads by name: the fields of its
    forms and each `request.GET/POST.get("…")` / `getlist("…")` in its code."""
    names = {"page"}
    for path in Path(preau.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("get", "getlist") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr in ("GET", "POST", "query_params")):
                names.add(node.args[0].value)
    for form in _all_subclasses(forms.BaseForm):
        if form.__module__.startswith("preau."):
            names |= set(getattr(form, "base_fields", {}))
    return names


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_the_names_read_by_views_are_found():
    names = _names_read_by_views()
    assert {"page", "folder", "parent", "version", "school", "school_class", "users",
            "groups", "enabled", "teacher", "bookmark", "student", "structure"} <= names


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_api], ids=str)
def test_an_id_too_large_in_a_web_query_or_form_is_never_a_500(route, world):
    values = dict.fromkeys(_names_read_by_views(), TOO_BIG)
    tokens = dict.fromkeys(("to", "cc"), f"user:{TOO_BIG}")
    url = world.url(route)
    for data in (values, {**values, **tokens}):
        made = client(world.p.ent_admin)
        response = made.get(url, data)
        assert response.status_code < 500, ("GET", url, response.status_code)
        response = made.post(url, data)
        assert response.status_code < 500, ("POST", url, response.status_code)


@functools.cache
def _api_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _too_big(schema: dict[str, Any], node: dict[str, Any]) -> Any:
    """A value of `node`'s type that carries an id past the database's range, or None."""
    node = _resolve(schema, node)
    if node.get("type") == "integer" and "maximum" in node:
        return int(TOO_BIG)
    if node.get("type") == "string" and re.search(r":\[0-9\]\+", node.get("pattern", "")):
        kind = node["pattern"].lstrip("^(").split("|")[0].split(")")[0]
        return f"{kind}:{TOO_BIG}"
    if node.get("type") == "array":
        item = _too_big(schema, node.get("items", {}))
        return None if item is None else [item]
    return None


def _operation(schema: dict[str, Any], route: Route, method: str) -> dict[str, Any] | None:
    path = route.template.replace("{pk}", "{id}")
    return schema["paths"].get(path, {}).get(method)


def _id_inputs(route: Route, method: str) -> list[tuple[str, str, Any]]:
    """(where, name, too-large value) for each id the operation reads: its integer query
    parameters and the id properties of its body, from the OpenAPI schema."""
    schema = _api_schema()
    operation = _operation(schema, route, method)
    if operation is None:
        return []
    found = []
    for parameter in operation.get("parameters", []):
        value = _too_big(schema, parameter.get("schema", {}))
        if parameter["in"] == "query" and value is not None:
            found.append(("query", parameter["name"], value))
    for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
        for name, node in _resolve(schema, body["schema"]).get("properties", {}).items():
            value = _too_big(schema, node)
            if value is not None:
                found.append((media_type, name, value))
    return found


OPERATIONS = [(route, method) for route in API_ROUTES
              for method in ("get", "post", "put", "patch", "delete")
              if _id_inputs(route, method)]


def test_the_operations_with_ids_are_found():
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(("route", "method"), OPERATIONS,
                         ids=[f"{method} {route}" for route, method in OPERATIONS])
def test_an_id_too_large_in_an_api_query_or_body_is_a_400(route, method, world):
    url = world.url(route)
    for where, name, value in _id_inputs(route, method):
        made = client(world.p.ent_admin, APIClient)
        if where == "query":
            response = getattr(made, method)(url, {name: value})
        elif where == "application/json":
            response = getattr(made, method)(url, json.dumps({name: value}),
                                             content_type="application/json")
        else:
            response = getattr(made, method)(url, {
                name: value, "file": SimpleUploadedFile("a.txt", b"a")}, format="multipart")
        assert response.status_code == 400, (where, name, response.status_code,
                                             response.content[:200])


def test_every_id_the_api_reads_has_the_database_range():
    """Every integer of a request body or a query parameter in the schema has a maximum
    within the database's range (IdField), so a new endpoint cannot forget it. `limit` and
    `offset` are the paginator's: capped at 200 and compared with the count in Python. (Path
    parameters are the `id` converter's: test_an_id_too_large_in_a_path_is_a_404.)"""
    schema = _api_schema()
    checked = 0

    def check(node: dict[str, Any], where: str) -> None:
        nonlocal checked
        node = _resolve(schema, node)
        if node.get("type") == "integer":
            checked += 1
            assert node.get("maximum", MAX_ID + 1) <= MAX_ID, where
        for name, child in node.get("properties", {}).items():
            check(child, f"{where}.{name}")
        if "items" in node:
            check(node["items"], f"{where}[]")

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] not in ("limit", "offset"):
                    check(parameter["schema"], f"{method} {path} {parameter['name']}")
            for body in operation.get("requestBody", {}).get("content", {}).values():
                check(body["schema"], f"{method} {path} body")
    assert checked >= 20


def test_every_model_choice_of_a_form_checks_the_id():
    from preau.lib.forms import IdModelChoiceField, IdModelMultipleChoiceField

    checked = 0
    for form in _all_subclasses(forms.BaseForm):
        if not form.__module__.startswith("preau."):
            continue
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.ModelMultipleChoiceField):
                checked += 1
                assert isinstance(field, IdModelMultipleChoiceField), (form.__name__, name)
            elif isinstance(field, forms.ModelChoiceField):
                checked += 1
                assert isinstance(field, IdModelChoiceField), (form.__name__, name)
    assert checked >= 5


# Cache-Control ------------------------------------------------------------------------------


def _no_store(response: Any) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_answer_to_a_logged_in_user_is_not_stored(route, world):
    url = world.url(route)
    session = client(world.p.ent_admin)
    for response in (session.get(url), session.get(url, HTTP_HX_REQUEST="true")):
        assert _no_store(response), (url, response.status_code, response.get("Cache-Control"))
    if route.is_api:
        key = do_create_token(world.p.teacher, "script")
        response = APIClient(raise_request_exception=False).get(
            url, HTTP_AUTHORIZATION=f"Token {key}")
        assert _no_store(response), (url, response.status_code)


def test_downloads_are_not_stored(world):
    node = world.objects["node"]
    made = client(world.p.ent_admin)
    for url in (f"/documents/fichier/{node.pk}/telecharger/",
                f"/api/v1/documents/{node.pk}/content/",
                f"/messagerie/message/{world.objects['message'].pk}/pieces-jointes/"
                f"{world.objects['attachment'].pk}/"):
        response = made.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store, private", url


def test_static_files_keep_their_caching(world):
    response = client(world.p.teacher).get("/static/preau/preau.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")
