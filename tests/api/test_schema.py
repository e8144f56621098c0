"""The OpenAPI schema describes every endpoint and generates without a single warning."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning or error of drf-spectacular.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target),
                 stdout=io.StringIO(), stderr=io.StringIO())
    schema = yaml.safe_load(target.read_text())
    paths = set(schema["paths"])
    assert {
        "/api/v1/me/", "/api/v1/me/tokens/", "/api/v1/me/tokens/{id}/",
        "/api/v1/directory/search/", "/api/v1/people/{id}/", "/api/v1/classes/",
        "/api/v1/classes/{id}/", "/api/v1/classes/{id}/attach/", "/api/v1/groups/",
        "/api/v1/groups/{id}/", "/api/v1/bookmarks/", "/api/v1/bookmarks/{id}/",
        "/api/v1/bookmarks/{id}/members/", "/api/v1/bookmarks/{id}/members/{member_id}/",
        "/api/v1/admin/users/", "/api/v1/admin/users/{id}/",
        "/api/v1/admin/users/{id}/block/", "/api/v1/admin/users/{id}/unblock/",
        "/api/v1/admin/users/{id}/reset-password/", "/api/v1/admin/users/{id}/attachments/",
        "/api/v1/admin/users/{id}/attachments/{school_id}/",
    } <= paths
    assert {
        "/api/v1/documents/", "/api/v1/documents/{id}/", "/api/v1/documents/{id}/content/",
        "/api/v1/documents/{id}/thumbnail/", "/api/v1/documents/{id}/copy/",
        "/api/v1/documents/{id}/versions/", "/api/v1/documents/{id}/versions/{number}/content/",
        "/api/v1/documents/{id}/versions/{number}/restore/", "/api/v1/documents/shared-with-me/",
        "/api/v1/documents/apps/", "/api/v1/documents/trash/", "/api/v1/documents/trash/empty/",
        "/api/v1/documents/trash/{id}/", "/api/v1/documents/trash/{id}/restore/",
        "/api/v1/folders/", "/api/v1/folders/{id}/", "/api/v1/folders/{id}/copy/",
        "/api/v1/me/quota/", "/api/v1/shares/", "/api/v1/shares/{id}/", "/api/v1/shares/mine/",
    } <= paths
    upload = schema["paths"]["/api/v1/documents/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(upload["responses"]) == {"201", "400", "413"}
    content = schema["paths"]["/api/v1/documents/{id}/content/"]["get"]["responses"]["200"]
    assert content["content"]["application/octet-stream"]["schema"] == {
        "type": "string", "format": "binary"}
    quota = schema["components"]["schemas"]["Quota"]
    assert set(quota["required"]) == {"used", "limit", "free", "percent", "warning"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    search = schema["paths"]["/api/v1/directory/search/"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "profile", "school", "class",
                                                         "limit", "offset"}


def test_schema_is_served(personas):
    client = APIClient()
    client.force_login(personas.teacher, backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/directory/search/" in response.content
