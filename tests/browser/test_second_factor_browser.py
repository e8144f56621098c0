"""An administrator's first login with the second factor, in a real browser on a 375 px
wide phone: the password, then the enrolment page (the QR code shows under the CSP, the key
can be typed), a first code, the recovery codes; nothing overflows the screen and no error
(a CSP violation included) reaches the console."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.personas import PASSWORD

SCREENSHOT = "/tmp/preau-second-factor.png"


def _fits(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


@pytest.mark.browser
@pytest.mark.second_factor
def test_a_school_admin_sets_up_the_second_factor_on_a_phone(
        transactional_db, django_db_serialized_rollback, live_server, personas, browser_page):
    page: Page = browser_page  # type: ignore[assignment]
    page.set_viewport_size({"width": 375, "height": 800})
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)

    page.goto(base + reverse("accounts:login"))
    page.locator("input[name=username]").fill(personas.school_admin.login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Configurer votre second facteur")
    qr = page.get_by_role("img", name="QR code à scanner", exact=False)
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('.second-factor-qr img').naturalWidth") > 0
    assert _fits(page)
    device = TOTPDevice.objects.get(user=personas.school_admin, confirmed=False)
    key = page.locator(".second-factor-key").inner_text().replace(" ", "")
    assert len(key) == 32  # 20 bytes in base32

    field = page.get_by_label("Code de votre application d'authentification")
    expect(field).to_have_attribute("inputmode", "numeric")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    field.fill(code)
    page.get_by_role("button", name="Valider et voir mes codes de secours").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator(".recovery-code-list li")).to_have_count(10)
    expect(page.get_by_role("link", name="Télécharger (fichier texte)")).to_be_visible()
    assert _fits(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("link", name="J'ai gardé mes codes : continuer").click()
    expect(page).to_have_url(base + reverse("home"))
    assert errors == []
