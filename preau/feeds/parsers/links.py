"""Linking relatives to pupils when a CSV names children instead of giving ids."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import NamedTuple

from .errors import IssueCollector, ParseIssue
from .records import ChildRef, PersonKind, PersonRecord, RelativeRef
from .values import generated_id, loose_key

PupilIndex = dict[tuple[str, ...], list[str]]


def index_pupils(pupils: Iterable[PersonRecord],
                 extra_names: dict[str, tuple[str, ...]] | None = None) -> PupilIndex:
    """Index of pupil ids by (last name, first name, class name) and by (last, first).

    `extra_names` gives more last names a pupil may be named by (ONDE: family name beside
    the name of use).
    """
    index: PupilIndex = {}
    for pupil in pupils:
        names = {pupil.last_name, *(extra_names or {}).get(pupil.external_id, ())}
        for last_name in names:
            key = (loose_key(last_name), loose_key(pupil.first_name))
            index.setdefault(key, []).append(pupil.external_id)
            for ref in pupil.classes:
                index.setdefault((*key, loose_key(ref.name)), []).append(pupil.external_id)
    return index


def resolve_child(child: ChildRef, index: PupilIndex) -> list[str]:
    """Pupil ids matching the child: by name and class, else by name alone."""
    names = (loose_key(child.last_name), loose_key(child.first_name))
    exact = list(dict.fromkeys(index.get((*names, loose_key(child.class_name)), ())))
    if exact:
        return exact
    return list(dict.fromkeys(index.get(names, ())))


class Linked(NamedTuple):
    pupils: tuple[PersonRecord, ...]
    relatives: tuple[PersonRecord, ...]
    warnings: tuple[ParseIssue, ...]


def link_relatives(pupils: Iterable[PersonRecord], relatives: Iterable[PersonRecord], *,
                   extra_names: dict[str, tuple[str, ...]] | None = None) -> Linked:
    """Fills each relative's children ids and each pupil's relatives (legal representatives).

    A child matching no pupil, or several, is a warning: the relative keeps the others, and
    the importer may still find the child in the directory by name and class.
    """
    pupil_list = list(pupils)
    issues = IssueCollector("")
    index = index_pupils(pupil_list, extra_names)
    links: dict[str, dict[str, None]] = {}
    linked_relatives = []
    for relative in relatives:
        children = []
        for child in relative.children:
            found = resolve_child(child, index)
            if len(found) == 1:
                child = dataclasses.replace(child, external_id=found[0])
                links.setdefault(found[0], {})[relative.external_id] = None
            else:
                what = "introuvable" if not found else "ambigu (plusieurs élèves)"
                issues.warn(relative.line, "child-not-found",
                            f"enfant {what} : {child.first_name} {child.last_name} "
                            f"({child.class_name or 'sans classe'})", file=relative.source_file)
            children.append(child)
        linked_relatives.append(dataclasses.replace(relative, children=tuple(children)))
    linked_pupils = []
    for pupil in pupil_list:
        extra = links.get(pupil.external_id)
        if extra:
            known = {r.external_id for r in pupil.relatives}
            added = tuple(RelativeRef(rid, True) for rid in extra if rid not in known)
            pupil = dataclasses.replace(pupil, relatives=pupil.relatives + added)
        linked_pupils.append(pupil)
    return Linked(tuple(linked_pupils), tuple(linked_relatives), tuple(issues.warnings))


def relative_ids(school_key: str, last_name: str, first_name: str,
                 children: Iterable[ChildRef]) -> tuple[str, tuple[str, ...]]:
    """A relative's generated id and match keys.

    The id covers the names and the sorted children (as the brief of the feed asks), so it
    changes when a younger child enters the school: `match_keys` (one per child) let the
    importer recognise the same parent through any child they still share.
    """
    keys = sorted({(loose_key(c.last_name), loose_key(c.first_name)) for c in children})
    flat = [part for pair in keys for part in pair]
    external_id = generated_id(school_key, PersonKind.RELATIVE, last_name, first_name, *flat)
    match_keys = tuple(sorted(
        generated_id(school_key, PersonKind.RELATIVE, last_name, first_name, *pair)
        for pair in keys
    ))
    return external_id, match_keys
