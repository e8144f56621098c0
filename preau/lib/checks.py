"""System checks for Préau's configuration (run by `preau check` and at server start)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production (`check --deploy`), the key and cookies must come from the operator."""
    messages: list[CheckMessage] = []
    if not os.environ.get("PREAU_SECRET_KEY"):
        messages.append(Warning(
            "PREAU_SECRET_KEY is not set: the key generated in PREAU_DATA_DIR is used.",
            hint="Set PREAU_SECRET_KEY to a long random value shared by every server.",
            id="preau.W001",
        ))
    if not settings.SESSION_COOKIE_SECURE:
        messages.append(Warning(
            "Cookies are not marked secure.",
            hint="Serve Préau over HTTPS and set PREAU_SECURE_COOKIES=true.",
            id="preau.W002",
        ))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        messages.append(Warning(
            "SQLite is the embedded default; an académie runs on PostgreSQL.",
            hint="Set DATABASE_URL=postgres://…",
            id="preau.W003",
        ))
    return messages
