"""The Espace documentaire in a real browser: a teacher uploads a file (XHR with progress),
shares it with her class's pupils with *lecture* through the share dialog, a pupil of the
class sees it and a pupil of another class does not; she deletes it, empties the trash and
sees her gauge go down."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from preau.documents.models import Node, Quota
from preau.sharing.models import Share
from tests.personas import PASSWORD

CONTENT = b"Poesie de la semaine\n" * 200
NAME = "Poésie \N{EN DASH} été.txt"


def log_in(page: Page, base: str, login: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    expect(page).to_have_url(base + reverse("home"))


def gauge_value(page: Page) -> int:
    return int(page.locator("#quota-gauge meter").get_attribute("value") or "0")


@pytest.mark.browser
def test_upload_share_with_a_class_then_free_space(transactional_db, django_db_serialized_rollback,
                                                    live_server, personas, browser_page, tmp_path):
    page: Page = browser_page  # type: ignore[assignment]
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.text} {message.location}")
            if message.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # the "move to the trash?" confirm

    # Upload through the page's script (one XHR per file, with a progress line).
    log_in(page, base, personas.teacher.login)
    page.get_by_role("link", name="Documents", exact=True).first.click()
    assert gauge_value(page) == 0
    poem = tmp_path / NAME
    poem.write_bytes(CONTENT)
    page.locator("#upload-files").set_input_files(str(poem))
    page.get_by_role("button", name="Déposer", exact=True).click()
    expect(page.locator(".upload-progress")).to_contain_text(NAME)
    expect(page.locator("#quota-gauge")).to_be_visible()
    expect(page.locator(".upload-progress")).to_contain_text("Ajouté")
    page.reload()
    expect(page.get_by_role("link", name=NAME).first).to_be_visible()
    assert gauge_value(page) == len(CONTENT)
    node = Node.objects.get(name=NAME)

    # Share it with the class's pupils, read only, through the share dialog.
    page.get_by_role("link", name=NAME).first.click()
    page.locator("a.share-link").first.click()
    page.locator("#share-q").press_sequentially("CM1", delay=30)
    candidates = page.locator("#share-search-results")
    pupils_group = personas.school_class.groups.get(profile="Student")
    candidates.locator(f"#share-group-{pupils_group.pk}").check()
    page.get_by_role("button", name="Partager avec la sélection").click()
    expect(page.locator(".share-current")).to_contain_text(pupils_group.name)
    share = Share.objects.get(group=pupils_group, resource_id=node.pk)
    assert share.rights == {"read"}

    # A pupil of the class sees it and can open it; a pupil of another class cannot.
    other = page.context.browser.new_context(locale="fr-FR")
    pupil_page = other.new_page()
    log_in(pupil_page, base, personas.pupil.login)
    pupil_page.goto(base + reverse("documents:shared"))
    expect(pupil_page.get_by_role("link", name=NAME).first).to_be_visible()
    response = pupil_page.request.get(base + reverse("documents:download", args=[node.pk]))
    assert response.status == 200 and response.body() == CONTENT
    other.close()
    stranger_context = page.context.browser.new_context(locale="fr-FR")
    stranger = stranger_context.new_page()
    log_in(stranger, base, personas.other_pupil.login)
    stranger.goto(base + reverse("documents:shared"))
    expect(stranger.locator("main")).not_to_contain_text(NAME)
    assert stranger.request.get(
        base + reverse("documents:download", args=[node.pk])).status == 404
    stranger_context.close()

    # Delete it: it goes to the trash and still counts; emptying the trash frees the space.
    page.goto(base + reverse("documents:file", args=[node.pk]))
    page.get_by_role("button", name="Supprimer", exact=True).first.click()
    page.goto(base + reverse("documents:trash"))
    expect(page.locator("main")).to_contain_text(NAME)
    assert gauge_value(page) == len(CONTENT)
    page.get_by_role("link", name="Vider la corbeille").click()
    page.locator("main form button.danger").click()
    expect(page.locator("main")).to_contain_text("La corbeille est vide")
    assert gauge_value(page) == 0
    assert Quota.objects.get(user=personas.teacher).used == 0
    assert not Node.objects.filter(pk=node.pk).exists()
    assert not errors, errors
