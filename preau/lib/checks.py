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
    if not settings.PREAU_ADMIN_SECOND_FACTOR:
        messages.append(Warning(
            "Administrators log in without a second factor: a stolen password is enough to "
            "administer the ENT.",
            hint="Leave PREAU_ADMIN_SECOND_FACTOR unset (on in production) or set it to "
                 "true; see docs/security.md.",
            id="preau.W006",
        ))
    return messages


# The PostgreSQL settings Préau's pages are planned for (docs/configuration.md, "PostgreSQL").
POSTGRES_PLANNER = {"random_page_cost": 2.0}


@register(Tags.database)
def check_postgres_planner(app_configs: Any = None, databases: Any = None,
                           **kwargs: Any) -> list[CheckMessage]:
    """With `--database default`: the server's planner settings suit Préau's short lookups.

    With the default `random_page_cost` (4, for spinning disks) PostgreSQL reads a whole
    table rather than a few hundred index entries for an Annuaire search at 100 schools
    (60 ms instead of 1 ms); with `jit` on it may compile a plan for longer than it runs.
    """
    from django.db import connections

    messages: list[CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('random_page_cost')::float, "
                           "current_setting('jit')")
            random_page_cost, jit = cursor.fetchone()
        if random_page_cost > POSTGRES_PLANNER["random_page_cost"]:
            messages.append(Warning(
                f"PostgreSQL's random_page_cost is {random_page_cost:g}: Préau's pages are "
                "planned for a database on SSD or in memory.",
                hint="ALTER DATABASE <name> SET random_page_cost = 1.1 (or set it in "
                     "postgresql.conf); see docs/configuration.md.",
                id="preau.W004"))
        if jit == "on":
            messages.append(Warning(
                "PostgreSQL's jit is on: compiling plans costs more than Préau's short "
                "queries take.",
                hint="ALTER DATABASE <name> SET jit = off; see docs/configuration.md.",
                id="preau.W005"))
    return messages
