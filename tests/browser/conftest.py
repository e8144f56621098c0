"""Browser tests: a real Chromium (Debian's) driven by Playwright's sync API.

Playwright's sync API runs an event loop in the test's thread, and Django's ORM refuses to
run inside one unless DJANGO_ALLOW_ASYNC_UNSAFE is set: the tests here create their data
and check the database around browser steps, in that same thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A fresh French-speaking page in a headless Chromium, closed after the test."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Inside Playwright's loop the ORM got its own connection: close it here, or
            # it outlives the test and PostgreSQL refuses to drop the test database.
            connections.close_all()
