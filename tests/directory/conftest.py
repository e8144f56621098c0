"""Helpers shared by the Annuaire tests."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse


def assert_redirects_to_login(response: HttpResponse) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
