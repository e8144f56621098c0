"""The resource types other apps make shareable.

The sharing engine knows nothing of documents, messages or notebooks: each app registers
one `ShareableType` in its AppConfig.ready() saying how to find a resource, whose shares
apply to it (its own and its containers', for inheritance) and who owns it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


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


_TYPES: dict[str, ShareableType] = {}


def register(shareable: ShareableType) -> None:
    _TYPES[shareable.key] = shareable


def shareable_type(key: str) -> ShareableType:
    return _TYPES[key]


def type_of(resource: Any) -> ShareableType:
    return _TYPES[resource.share_type]


def by_api_name(name: str) -> ShareableType | None:
    for shareable in _TYPES.values():
        if name in shareable.api_names:
            return shareable
    return None
