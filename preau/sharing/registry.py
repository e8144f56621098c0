"""The resource types other apps make shareable.

The sharing engine knows nothing of documents, messages or notebooks: each app registers
one `ShareableType` in its AppConfig.ready() saying how to find a resource, whose shares
apply to it (its own and its containers', for inheritance) and who owns it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch


@dataclass(frozen=True)
class ShareableType:
    key: str  # "documents.node"
    # The resource with this id if it exists and can be shared (None otherwise).
    get: Callable[[int], Any | None]
    # Ids whose shares apply to the resource, itself first, then its containers.
    chain: Callable[[Any], Sequence[int]]
    # Users holding every right without a share (the owner, the owners of the containers).
    owners: Callable[[Any], set[int]]
    # What the user sees: a label and a link.
    label: Callable[[Any], str]
    url: Callable[[Any], str]
    # Short words for the API's resource keys: {"document": …, "folder": …}.
    api_names: tuple[str, ...] = ()
    # Several resources at once, by id (one query for a list); None: `get` one by one.
    get_many: Callable[[Sequence[int]], dict[int, Any]] | None = None

    def fetch(self, ids: Iterable[int]) -> dict[int, Any]:
        """The resources with these ids that exist and can be shared, by id."""
        wanted = list(dict.fromkeys(ids))
        if self.get_many is not None:
            return self.get_many(wanted)
        found = {pk: self.get(pk) for pk in wanted}
        return {pk: resource for pk, resource in found.items() if resource is not None}

    def link(self, resource: Any) -> str:
        """The resource's page, or "" when its app does not serve one (yet)."""
        try:
            return self.url(resource)
        except NoReverseMatch:
            return ""


_TYPES: dict[str, ShareableType] = {}


def register(shareable: ShareableType) -> None:
    _TYPES[shareable.key] = shareable


def shareable_type(key: str) -> ShareableType:
    return _TYPES[key]


def find_type(key: str) -> ShareableType | None:
    """The registered type with this key, or None (an unknown key in a URL is a 404)."""
    return _TYPES.get(key)


def type_of(resource: Any) -> ShareableType:
    return _TYPES[resource.share_type]


def by_api_name(name: str) -> ShareableType | None:
    for shareable in _TYPES.values():
        if name in shareable.api_names:
            return shareable
    return None
