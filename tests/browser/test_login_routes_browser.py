"""The login page on a phone (375 px wide): each person finds their way in with one thumb —
the académie and EduConnect buttons and the ENT form are full-width, tall enough to touch,
and nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from preau.sso.actions import check_add_idp
from preau.sso.models import IdpKind

METADATA = (Path(__file__).resolve().parents[1] / "sso" / "data" / "idp-metadata.xml"
            ).read_bytes()
SCREENSHOT = "/tmp/preau-login-375.png"


@pytest.mark.browser
def test_the_login_page_routes_everyone_on_a_phone(transactional_db,
                                                   django_db_serialized_rollback, live_server,
                                                   personas, browser_page):
    check_add_idp(kind=IdpKind.ACADEMIE, name="Académie de Lille", metadata=METADATA,
                  academies=[personas.academy])
    check_add_idp(kind=IdpKind.EDUCONNECT, name="EduConnect", academies=[personas.academy],
                  metadata=METADATA.replace(b"portail.ac-exemple", b"educonnect"))
    page: Page = browser_page  # type: ignore[assignment]
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("accounts:login"))
    headings = page.locator("h2").all_inner_texts()
    assert headings[:3] == ["Enseignants et personnels : identifiants académiques",
                            "Parents : EduConnect",
                            "Élèves et comptes créés par l’école : identifiant de l’ENT"]  # noqa: RUF001
    for role, name in (("link", "Identifiants académiques — Académie de Lille"),
                       ("link", "Se connecter avec EduConnect"), ("button", "Connexion")):
        box = page.get_by_role(role, name=name, exact=True).bounding_box()  # type: ignore[arg-type]
        assert box is not None and box["height"] >= 44 and box["width"] >= 280, (name, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SCREENSHOT, full_page=True)
