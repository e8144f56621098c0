"""How an admin reads a transition's audit log: the stored rows made readable.

The transition writes its audit in the database's own terms (resource keys, right codes,
ISO dates: see `transition.py`); the console shows, for one page of entries, each purged
share's resource by its name and link (fetched per resource type, one query per type),
its rights by their French names and its dates as dates.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.dateparse import parse_datetime

from preau.sharing.models import RIGHT_ORDER, Right
from preau.sharing.registry import find_type
from preau.yearchange.models import AuditEntry


@dataclass(frozen=True)
class PurgedShare:
    share_id: int
    app: str  # the resource's app, by its name ("Espace documentaire")
    resource: str  # its name, or "#id" when it no longer exists
    link: str
    rights: list[str]
    shared_by: str
    shared_at: datetime.datetime | None


def _app_name(resource_type: str) -> str:
    try:
        return str(apps.get_app_config(resource_type.split(".", 1)[0]).verbose_name)
    except LookupError:
        return resource_type


def _rights(value: Any) -> list[str]:
    codes = set(value.split() if isinstance(value, str) else value or [])
    return [str(Right(code).label) for code in RIGHT_ORDER if code in codes]


def purged_shares(entries: Iterable[AuditEntry]) -> dict[int, list[PurgedShare]]:
    """For each "share purged" entry of the page (by entry id), its shares, readable."""
    rows_by_entry: dict[int, Sequence[Sequence[Any]]] = {
        entry.pk: entry.details.get("shares") or [] for entry in entries
        if entry.kind == AuditEntry.Kind.SHARE_PURGED}
    wanted: dict[str, set[int]] = defaultdict(set)
    for rows in rows_by_entry.values():
        for row in rows:
            wanted[row[1]].add(int(row[2]))
    found: dict[str, dict[int, Any]] = {}
    for key, ids in wanted.items():
        shareable = find_type(key)
        found[key] = shareable.fetch(ids) if shareable is not None else {}
    readable: dict[int, list[PurgedShare]] = {}
    for entry_id, rows in rows_by_entry.items():
        readable[entry_id] = []
        for share_id, key, resource_id, rights, shared_by, shared_at in rows:
            resource = found[key].get(int(resource_id))
            shareable = find_type(key)
            readable[entry_id].append(PurgedShare(
                share_id=int(share_id), app=_app_name(key),
                resource=(shareable.label(resource) if shareable and resource is not None
                          else f"#{resource_id}"),
                link=shareable.link(resource) if shareable and resource is not None else "",
                rights=_rights(rights), shared_by=shared_by or "—",
                shared_at=_stored_time(shared_at)))
    return readable


def _stored_time(value: str | None) -> datetime.datetime | None:
    """A time the transition wrote into an entry's details: PostgreSQL writes its offset,
    SQLite a bare UTC time, which must not be shown as if it were Paris's."""
    parsed = parse_datetime(value) if value else None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed
