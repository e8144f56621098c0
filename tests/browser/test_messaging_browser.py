"""The Messagerie in a real browser: a teacher finds a parent as she types (htmx), ticks
them in To, attaches a file and sends; the parent sees the message unread (the layout's
count), reads it, downloads nothing she may not, and empties it from her trash."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from preau.documents.models import Quota
from preau.messaging.models import Message, MessageCopy
from tests.browser.test_documents_browser import log_in


@pytest.mark.browser
def test_compose_send_read_and_free_space(transactional_db, django_db_serialized_rollback,
                                          live_server, personas, browser_page, tmp_path):
    page: Page = browser_page  # type: ignore[assignment]
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.text} {message.location}")
            if message.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, base, personas.teacher.login)
    page.get_by_role("link", name="Messagerie").first.click()
    page.get_by_role("link", name="Nouveau message").click()
    expect(page).to_have_url(base + reverse("messaging:compose"))
    page.wait_for_load_state()
    page.get_by_label("Chercher des personnes et des groupes").press_sequentially("martin")
    token = f"user:{personas.parent.pk}"
    parent_box = page.locator(f'#recipient-results input[name=to][value="{token}"]')
    expect(parent_box).to_be_visible()
    parent_box.check()
    page.get_by_label("Objet").fill("Sortie au musée")
    page.get_by_label("Message", exact=True).fill("Bonjour,\n\nRendez-vous à 8 h.")
    notice = tmp_path / "autorisation.txt"
    notice.write_bytes(b"J'autorise la sortie.\n")
    page.get_by_label("Ajouter des fichiers").set_input_files(str(notice))
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".messages")).to_contain_text("Message envoyé.")
    page.screenshot(path=str(tmp_path / "sent.png"))
    message = Message.objects.get(subject="Sortie au musée")
    assert MessageCopy.objects.get(message=message, user=personas.parent).is_unread

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, base, personas.parent.login)
    expect(page.locator(".nav-count")).to_contain_text("1")
    page.get_by_role("link", name="Messagerie").first.click()
    expect(page.locator("tr.unread")).to_contain_text("Sortie au musée")
    page.get_by_role("link", name="Sortie au musée").click()
    expect(page.locator(".mail-body")).to_contain_text("Rendez-vous à 8 h.")
    expect(page.get_by_role("link", name="autorisation.txt")).to_be_visible()
    page.screenshot(path=str(tmp_path / "read.png"), full_page=True)
    expect(page.locator(".nav-count")).to_have_count(0)
    page.get_by_role("button", name="Supprimer", exact=True).click()
    page.get_by_role("link", name="Corbeille").click()
    assert Quota.objects.get(user=personas.parent).used == 22
    page.get_by_role("button", name="Vider la corbeille").click()
    expect(page.locator(".messages")).to_contain_text("La corbeille est vide")
    assert Quota.objects.get(user=personas.parent).used == 0
    assert errors == []
