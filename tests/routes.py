"""Every URL pattern of Préau, and a small world to fill their parameters with real ids.

Generated tests (`tests/test_routes.py`) walk `all_routes()` rather than hand-picked URLs, so
a page or endpoint added tomorrow is covered without anyone remembering to add it. The
world (`build_world`) gives the acting user, the ENT admin, one object of every kind its
parameters name, so requests get past the lookup and reach the view's own parsing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from preau.accounts.models import PersonalToken
from preau.accounts.tokens import do_create_token
from preau.directory.actions import do_create_bookmark
from preau.directory.models import Group, GroupKind
from preau.documents.actions import check_create_folder, check_new_version, check_trash
from preau.feeds.models import FeedRun
from preau.messaging.actions import check_create_folder as create_mail_folder
from preau.messaging.models import Attachment
from preau.sharing.actions import check_share
from preau.sharing.models import Right, Share
from preau.yearchange.actions import do_plan
from tests.documents.helpers import upload
from tests.messaging.helpers import draft, send
from tests.personas import Personas

# A value past PostgreSQL's bigint and SQLite's INTEGER (both 2**63 - 1).
TOO_BIG = str(2**64)
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern, flattened: `template` holds `{name}` where each parameter goes."""

    template: str
    params: dict[str, str]  # name -> "int", "id", "str", "slug" or "regex"
    name: str
    callback: Any

    @property
    def int_params(self) -> list[str]:
        return [name for name, kind in self.params.items()
                if kind in ("int", "id", "digits", "mailbox")]

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    def url(self, values: dict[str, str]) -> str:
        return self.template.format(**values)

    def __str__(self) -> str:
        return self.name or self.template


def _flatten(pattern: str, is_route: bool) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    if is_route:
        def route_param(match: re.Match[str]) -> str:
            params[match["name"]] = match["converter"] or "str"
            return "{" + match["name"] + "}"

        return _PARAM.sub(route_param, pattern), params
    text = pattern.lstrip("^").rstrip("$")

    def regex_param(match: re.Match[str]) -> str:
        params[match["name"]] = "digits" if match["body"] == "[0-9]+" else "regex"
        return "{" + match["name"] + "}"

    text = _REGEX_GROUP.sub(regex_param, text)
    return text.replace("/?", "/"), params


def _walk(patterns: list[Any], prefix: str, params: dict[str, str],
          namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        text, found = _flatten(str(entry.pattern), isinstance(entry.pattern, RoutePattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + text, {**params, **found}, inner)
        elif isinstance(entry, URLPattern):
            yield Route(template=prefix + text, params={**params, **found},
                        name=f"{namespace}{entry.name or ''}", callback=entry.callback)


def all_routes() -> list[Route]:
    """Every URL pattern of the project, the Django admin's and i18n's left out (not ours)."""
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, "/", {}):
        if route.template.startswith(("/django-admin/", "/i18n/")):
            continue
        # The API's routes without their final slash share the name and view of the first.
        routes.setdefault(route.name or route.template, route)
    return list(routes.values())


def build_world(p: Personas) -> dict[str, Any]:
    """One object of each kind the URL parameters name, all reachable by the ENT admin."""
    actor = p.ent_admin
    folder = check_create_folder(actor, "Classeur")
    node = upload(actor, "notes.txt", folder=folder)
    version = check_new_version(actor, node, SimpleUploadedFile("notes.txt", b"second\n"))
    trashed = upload(actor, "old.txt")
    check_trash(actor, trashed)
    check_share(actor, node, users=[p.teacher], rights=[Right.READ])
    share = Share.objects.filter(resource_id=node.pk).first()
    assert share is not None
    class_group = Group.objects.get(kind=GroupKind.CLASS, school_class=p.school_class,
                                    profile="Student")
    check_share(actor, upload(actor, "cahier.txt"), groups=[class_group], rights=[Right.READ])
    class_share = Share.objects.get(group=class_group)
    message = send(actor, [f"user:{p.teacher.pk}"], files=[("a.txt", b"piece\n")])
    attachment = Attachment.objects.filter(message=message).first()
    assert attachment is not None
    mail_draft = draft(actor, [f"user:{p.teacher.pk}"], files=[("b.txt", b"brouillon\n")])
    draft_attachment = Attachment.objects.filter(message=mail_draft).first()
    assert draft_attachment is not None
    mail_folder = create_mail_folder(actor, "Sorties")
    bookmark = do_create_bookmark(actor, "Équipe", [p.teacher], [])
    member = bookmark.members.first()
    assert member is not None
    do_create_token(actor, "script")
    token = PersonalToken.objects.filter(user=actor).first()
    assert token is not None
    feed_run = FeedRun.objects.create(format="aaf1d", source="AAF1D", actor=actor,
                                      academy=p.academy)
    plan = do_plan(actor, datetime.date(2024, 8, 1))
    return {
        "actor": actor, "folder": folder, "node": node, "version": version,
        "trashed": trashed, "share": share, "class_share": class_share, "message": message,
        "attachment": attachment, "draft": mail_draft, "draft_attachment": draft_attachment,
        "mail_folder": mail_folder, "bookmark": bookmark, "member": member, "token": token,
        "feed_run": feed_run, "plan": plan, "group": class_group,
    }


# Which object each parameter names; `pk` depends on the route (first matching prefix).
_PK_BY_PREFIX = [
    ("/api/v1/documents/trash/", "trashed"), ("/api/v1/documents/", "node"),
    ("/api/v1/folders/", "folder"), ("/api/v1/shares/", "share"),
    ("/api/v1/mail/folders/", "mail_folder"), ("/api/v1/mail/messages/", "message"),
    ("/api/v1/mail/drafts/", "draft"), ("/api/v1/yearchange/runs/", "plan"),
    ("/api/v1/me/class-group-shares/", "class_share"), ("/api/v1/me/tokens/", "token"),
    ("/api/v1/people/", "pupil"), ("/api/v1/classes/", "school_class"),
    ("/api/v1/groups/", "group"), ("/api/v1/bookmarks/", "bookmark"),
    ("/api/v1/admin/users/", "pupil"),
]


def sample_values(route: Route, p: Personas, world: dict[str, Any]) -> dict[str, str]:
    """A real value for each parameter of `route`, as the ENT admin would use it."""
    t = route.template
    by_name: dict[str, Any] = {
        "token_id": world["token"], "user_id": p.pupil, "student_id": p.pupil,
        "class_id": p.school_class, "structure_id": p.school, "school_id": p.school,
        "node_id": world["trashed"] if "/corbeille/" in t else
        world["folder"] if "/dossier/" in t else world["node"],
        "version_id": world["version"], "number": 1,
        "folder_id": world["mail_folder"],
        "message_id": world["draft"] if "/brouillon/" in t else world["message"],
        "attachment_id": world["draft_attachment"] if "/drafts/" in t else world["attachment"],
        "bookmark_id": world["bookmark"], "member_id": world["member"],
        "group_id": world["group"], "academy_id": p.academy, "year_id": p.year,
        "run_id": world["plan"] if "changement-annee" in t else world["feed_run"],
        "share_id": world["class_share"] if t.startswith("/changement-annee/")
        else world["share"],
        "resource_type": "document", "resource_id": world["node"],
        "slug": "reception", "key": "inbox",
    }
    pk = next((name for prefix, name in _PK_BY_PREFIX if t.startswith(prefix)), None)
    if pk is not None:
        by_name["pk"] = world[pk] if pk in world else getattr(p, pk)
    values: dict[str, str] = {}
    for name in route.params:
        value = by_name.get(name, 1)
        values[name] = str(getattr(value, "pk", value))
    return values
