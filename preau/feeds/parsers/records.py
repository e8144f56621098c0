"""The typed records every parser produces, whatever the feed format.

Records are frozen, slotted dataclasses: cheap to create by the hundred thousand, hashable,
and comparable. `source_file` and `line` say where a record came from (for the report) but
take no part in equality nor in the checksum: the same person read from two runs is the same
record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T")


class _FastRepr(StrEnum):
    """Enum's own repr (`<PersonKind.STUDENT: 'Student'>`), without its generic formatting:
    `record_checksum` hashes the repr of two enums per record, and Enum.__repr__ was a
    third of its time. The text is the same (tests/feeds/test_values.py), so stored
    checksums do not change."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"


class PersonKind(_FastRepr):
    """Who the record describes; values equal preau.accounts.models.Profile's."""

    TEACHER = "Teacher"
    PERSONNEL = "Personnel"
    STUDENT = "Student"
    RELATIVE = "Relative"
    GUEST = "Guest"


class FeedSource(_FastRepr):
    """Which feed produced the record; values equal preau.accounts.models.Source's."""

    AAF1D = "AAF1D"
    AAF = "AAF"
    ONDE = "ONDE"
    CSV = "CSV"


def _pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickles the record as its class and field values, rebuilt by calling the class:
    records cross a process boundary by the hundred thousand (`ahead.py`), and this is
    cheaper to load than dataclass's default state (a dict per object, set one field at a
    time)."""
    names = [f.name for f in fields(cls) if f.init]  # type: ignore[arg-type]
    getter = attrgetter(*names)
    if "digest" in (f.name for f in fields(cls)):  # type: ignore[arg-type]
        # The checksum travels with the record: computed once, by the process that parsed.
        def __reduce__(self: Any) -> tuple[Any, ...]:
            return (_with_digest, (cls, getter(self), self.checksum))
    else:
        def __reduce__(self: Any) -> tuple[Any, ...]:
            return (cls, getter(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


def _with_digest(cls: type[_T], values: tuple[Any, ...], digest: str) -> _T:
    record = cls(*values)
    object.__setattr__(record, "digest", digest)  # frozen: set once, as __init__ would
    return record


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClassRef:
    """A class of a structure. CSV sources only know its name: `code` then equals `name`."""

    structure_key: str
    code: str
    name: str


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class GroupRef:
    """A functional group (groupe, option…) of a structure."""

    structure_key: str
    code: str
    name: str


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class RelativeRef:
    """A pupil's link to a relative, by the relative's external id.

    `relationship` is the AAF relationship code when the feed gives one (2D: "10" father,
    "20" mother…), else "".
    """

    external_id: str
    legal: bool
    relationship: str = ""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class ChildRef:
    """A relative's child as CSV files name it (no id in the file).

    `external_id` is filled when the pupil was found among the pupils parsed with it (ONDE's
    three files, or `link_relatives`); otherwise the importer resolves the child by
    (last name, first name, class name) in the directory.
    """

    last_name: str
    first_name: str
    class_name: str
    external_id: str = ""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A staff function in a structure (AAF: `structure$code$label$subject code$subject`)."""

    structure_key: str
    code: str
    label: str
    subject_code: str = ""
    subject: str = ""


_NOT_HASHED = frozenset({"source_file", "line", "digest"})
_HASHED_FIELDS: dict[type, attrgetter[tuple[Any, ...]]] = {}


def record_checksum(record: StructureRecord | PersonRecord) -> str:
    """A stable hash of the record's content: the importer skips records whose checksum it
    already stored, so an unchanged nightly snapshot costs no write.

    It hashes the `repr` of the record's type and fields in order (all but where the record
    was read): strings, dates, booleans, enums and the frozen reference dataclasses have a
    repr that is the same in every process (no hash randomisation, no sets) and that tells
    any two different values apart. Cheaper than a canonical JSON, which it replaced."""
    cls = type(record)
    hashed = _HASHED_FIELDS.get(cls)
    if hashed is None:
        hashed = attrgetter(*(f.name for f in fields(cls) if f.name not in _NOT_HASHED))
        _HASHED_FIELDS[cls] = hashed
    payload = repr((cls.__name__, hashed(record)))
    return hashlib.sha1(payload.encode("utf-8"), usedforsecurity=False).hexdigest()


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class StructureRecord:
    """A school (EtabEducNat record)."""

    external_id: str
    uai: str
    name: str
    source: FeedSource = FeedSource.AAF1D
    structure_type: str = ""
    academy: str = ""
    academy_code: str = ""
    circonscription: str = ""
    circonscription_code: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""
    siren: str = ""
    source_file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    @property
    def checksum(self) -> str:
        return record_checksum(self)


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person of any profile.

    `external_id` is the join key the importer matches on: the feed's own id for AAF, a
    deterministic id computed from names (see `preau.feeds.parsers.ids`) for ONDE and CSV.
    `structures`, `director_of` and the refs' `structure_key` hold feed structure keys
    (AAF: structure join keys; ONDE/CSV: the school key given by the caller, its UAI).
    """

    kind: PersonKind
    external_id: str
    last_name: str
    first_name: str
    source: FeedSource = FeedSource.AAF1D
    birth_date: date | None = None
    title: str = ""
    ine: str = ""
    academic_email: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    work_phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    level: str = ""
    structures: tuple[str, ...] = ()
    classes: tuple[ClassRef, ...] = ()
    groups: tuple[GroupRef, ...] = ()
    relatives: tuple[RelativeRef, ...] = ()
    children: tuple[ChildRef, ...] = ()
    functions: tuple[FunctionRef, ...] = ()
    director_of: tuple[str, ...] = ()
    teacher_category: str = ""
    match_keys: tuple[str, ...] = ()
    source_file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    digest: str = field(default="", init=False, compare=False, repr=False)
    """`checksum`, when already computed: an unpickled record carries it (`ahead.py` hands
    records from the process that parsed them to the importer's). Not an argument, so
    `dataclasses.replace` never copies a digest that the new fields would belie."""

    @property
    def is_director(self) -> bool:
        """Head teacher (directeur/directrice d'école) of at least one structure."""
        return bool(self.director_of)

    @property
    def checksum(self) -> str:
        return self.digest or record_checksum(self)


Record = StructureRecord | PersonRecord
