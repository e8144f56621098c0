"""The guide's share-bookmark flow in a real browser: log in, find a colleague in the
Annuaire, save the selection as a share bookmark, rename it, add and remove a member, then
delete it with the trash icon that only hovering (or keyboard focus) reveals."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from preau.directory.models import ShareBookmark
from tests.personas import PASSWORD

SCREENSHOT = "/tmp/preau-annuaire.png"


@pytest.mark.browser
def test_teacher_manages_a_share_bookmark(transactional_db, django_db_serialized_rollback,
                                          live_server, personas, browser_page):
    page: Page = browser_page  # type: ignore[assignment]
    base = live_server.url
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text)
            if message.type == "error" else None)

    # Log in through the real form.
    page.goto(base + reverse("accounts:login"))
    page.locator("input[name=username]").fill(personas.teacher.login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    expect(page).to_have_url(base + reverse("home"))

    # Search the Annuaire: results come live (htmx) while typing.
    page.get_by_role("link", name="Annuaire", exact=True).first.click()
    expect(page).to_have_url(base + reverse("directory:search"))
    page.locator("#id_q").press_sequentially("Bernard", delay=30)
    results = page.locator("#search-results")
    expect(results).to_contain_text("Paul Bernard")
    expect(results).not_to_contain_text("Chloé Martin")
    expect(page).to_have_url(re.compile(r"q=Bernard"))  # the URL follows the search

    # Select the colleague and save the selection as a bookmark.
    page.get_by_label("Sélectionner Paul Bernard").check()
    page.get_by_label("Nom du favori").fill("Collègues")
    page.get_by_role("button", name="Enregistrer comme favori").click()
    expect(page.get_by_role("heading", level=2, name="Collègues")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Favori « Collègues » créé.")

    # Add a member through the live candidate search.
    page.locator("#id_candidate_q").press_sequentially("chloe", delay=30)
    candidates = page.locator("#bookmark-candidates")
    expect(candidates).to_contain_text("Chloé Martin")
    candidates.get_by_label(re.compile("Chloé Martin")).check()
    candidates.get_by_role("button", name="Ajouter").click()
    members = page.locator("table.members")
    expect(members).to_contain_text("Chloé Martin")
    expect(members).to_contain_text("Paul Bernard")

    # Rename it.
    page.locator("#id_rename_name").fill("Équipe CM1 A")
    page.get_by_role("button", name="Renommer").click()
    expect(page.get_by_role("heading", level=2, name="Équipe CM1 A")).to_be_visible()

    # Remove a member.
    page.get_by_role("button", name="Retirer Chloé Martin").click()
    expect(page.locator(".messages")).to_contain_text("« Chloé Martin » retiré(e) du favori.")
    expect(page.locator("table.members")).not_to_contain_text("Chloé Martin")
    expect(page.locator("table.members")).to_contain_text("Paul Bernard")

    page.mouse.move(0, 0)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The trash icon: hidden until the bookmark is hovered or focused.
    item = page.locator(".bookmark-list li", has_text="Équipe CM1 A")
    trash = page.get_by_role("button", name="Supprimer le favori Équipe CM1 A",
                             include_hidden=True)
    expect(trash).to_have_count(1)
    expect(trash).to_be_hidden()
    item.get_by_role("link").focus()
    expect(trash).to_be_visible()  # keyboard users reach it too
    page.evaluate("document.activeElement.blur()")
    expect(trash).to_be_hidden()
    item.hover()
    expect(trash).to_be_visible()

    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    trash.click()
    expect(page).to_have_url(base + reverse("directory:bookmarks"))
    expect(page.locator(".messages")).to_contain_text("Favori « Équipe CM1 A » supprimé.")
    expect(page.locator(".bookmark-list")).to_have_count(0)
    assert dialogs and "Équipe CM1 A" in dialogs[0]
    assert not ShareBookmark.objects.filter(owner=personas.teacher).exists()
    assert not [m for m in messages if "Content Security Policy" in m], messages
