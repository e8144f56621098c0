"""Reading the CSV files of ONDE and of the manual templates: encoding, columns, rows.

Encoding: a UTF-8 byte-order mark means UTF-8 (and undecodable bytes then refuse the file);
otherwise strict UTF-8 is tried first, then Windows-1252 (what spreadsheets save as
"ISO-8859-1" in France: it adds œ, the typographic apostrophe and € to Latin-1), then Latin-1,
which decodes anything.

Columns are matched loosely (`values.loose_key`: case, accents, spaces, punctuation and the
`*` ignored) against a schema of aliases. A `*` in a header marks a required column; so does
the schema. A missing required column refuses the file; a missing value in a required column
is an error on that line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from preau.lib.text import clean_line

from .errors import PLACEHOLDERS, FeedError, IssueCollector, Role
from .values import BadDate, loose_key, parse_date

MAX_CSV_BYTES = 20 * 1024 * 1024
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ACADEMIC_EMAIL = re.compile(r"[^@\s]+@ac-[a-z0-9-]+\.(fr|gouv\.fr)", re.IGNORECASE)


def decode(data: bytes, file: str) -> str:
    """Bytes to text, detecting the encoding (see module docstring)."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", file)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", file)
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FeedError(file, line,
                        f"encodage illisible : octets invalides pour {encoding.upper()}",
                        code="encoding") from None


def is_academic_email(value: str) -> bool:
    """An académie address (…@ac-<académie>.fr): the académie SSO matches accounts on it."""
    return bool(_ACADEMIC_EMAIL.fullmatch(value))


@dataclass(frozen=True)
class Schema:
    """The columns a file may have.

    `aliases` maps loose header keys to field names; `labels` gives each field's name for
    messages; `repeatable` fields may appear in several columns (classe;classe, blocks of
    children); `required` fields must be present and filled on every line; `ignored` are
    loose keys of known columns we do not use (no "unknown column" warning for them);
    `identity` are the fields that identify the person (names, and what the generated id
    is made of): a value that cannot be read there refuses the line, elsewhere it is left
    out with a warning (`errors.Role`).
    """

    aliases: Mapping[str, str]
    labels: Mapping[str, str]
    required: frozenset[str] = frozenset()
    repeatable: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()
    identity: frozenset[str] = frozenset()

    def role(self, name: str) -> Role:
        return Role.IDENTITY if name in self.identity else Role.OTHER

    def roles(self) -> dict[str, Role]:
        """Every field of the schema and its role (docs/feeds.md lists them)."""
        return {name: self.role(name) for name in dict.fromkeys(self.aliases.values())}


@dataclass
class Row:
    line: int
    cells: list[tuple[str, str]]
    """(field, value) in column order, values stripped, unknown columns left out."""

    def get(self, name: str) -> str:
        for field_name, value in self.cells:
            if field_name == name and value:
                return value
        return ""

    def all(self, name: str) -> list[str]:
        return [value for field_name, value in self.cells if field_name == name and value]


@dataclass
class Sheet:
    file: str
    fields: list[str | None]
    required: set[str]
    rows: list[Row] = field(default_factory=list)
    schema: Schema | None = None


def read_sheet(path: str | Path, schema: Schema, issues: IssueCollector) -> Sheet:
    """Reads a whole CSV file (they are one school's worth: small) against a schema.

    Raises FeedError for a file-level problem (unreadable, no header, missing required or
    doubled column); line problems go to `issues`. Blank lines are skipped.
    """
    file = Path(path).name
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_CSV_BYTES + 1)
    except OSError:
        raise FeedError(file, None, "fichier introuvable ou illisible",
                        code="missing-file") from None
    if len(data) > MAX_CSV_BYTES:
        raise FeedError(file, None, "fichier trop volumineux", code="too-large")
    text = decode(data, file)
    first_line = text.split("\n", 1)[0]
    delimiter = ";"
    if ";" not in first_line:
        delimiter = "\t" if "\t" in first_line else ("," if "," in first_line else ";")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        strict=True)
    rows: Iterator[list[str]] = iter(reader)
    previous_end = 0
    try:
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header):
            raise FeedError(file, 1, "fichier vide ou sans ligne d'en-tête",
                            code="missing-column")
        sheet = _map_header(file, header, schema, issues)
        previous_end = reader.line_num
        for cells in rows:
            line = previous_end + 1
            previous_end = reader.line_num
            values = [_value(cell) for cell in cells]
            if not any(values):
                continue
            extra = values[len(sheet.fields):]
            if any(extra):
                issues.error(line, "extra-cells",
                             f"{len(values)} cellules pour {len(sheet.fields)} colonnes")
                continue
            sheet.rows.append(Row(line, [
                (name, value) for name, value in zip(sheet.fields, values, strict=False)
                if name is not None
            ]))
    except csv.Error as exc:
        raise FeedError(file, previous_end + 1, f"CSV mal formé ({exc})",
                        code="csv-syntax") from None
    return sheet


def _value(cell: str) -> str:
    """A cell as the parsers read it: one clean line, a placeholder (`-`, `SANS OBJET`…)
    read as empty."""
    value = clean_line(cell)
    if len(value) <= 10 and value.lower() in PLACEHOLDERS:
        return ""
    return value


def _map_header(file: str, header: list[str], schema: Schema, issues: IssueCollector) -> Sheet:
    fields: list[str | None] = []
    required = set(schema.required)
    seen: set[str] = set()
    for position, raw in enumerate(header, start=1):
        title = raw.strip()
        key = loose_key(title)
        name = schema.aliases.get(key)
        if name is None:
            fields.append(None)
            if key and key not in schema.ignored:
                issues.warn(1, "unknown-column",
                            f"colonne « {title} » inconnue, ignorée (colonne {position})")
            continue
        if name in seen and name not in schema.repeatable:
            raise FeedError(file, 1, f"colonne « {title} » en double", code="duplicate-column")
        seen.add(name)
        if title.endswith("*"):
            required.add(name)
        fields.append(name)
    missing = [name for name in schema.required if name not in seen]
    if missing:
        labels = ", ".join(f"« {schema.labels.get(n, n)} »" for n in sorted(missing))
        raise FeedError(file, 1, f"colonne obligatoire manquante : {labels}",
                        code="missing-column")
    return Sheet(file, fields, required, schema=schema)


def check_required(sheet: Sheet, row: Row, schema: Schema, issues: IssueCollector,
                   skip: frozenset[str] = frozenset()) -> bool:
    """Reports every empty required cell of the row; False when there is one."""
    ok = True
    for name in sorted(sheet.required - skip):
        if not row.get(name):
            issues.error(row.line, "missing-value",
                         f"valeur obligatoire manquante : « {schema.labels.get(name, name)} »")
            ok = False
    return ok


def read_date(row: Row, name: str, issues: IssueCollector, role: Role = Role.IDENTITY,
              label: str = "") -> date | None:
    """The date in the field, or None; an unreadable date is an error on the line when the
    field is identity (a pupil's birth date makes their id), else a warning."""
    value = row.get(name)
    if not value:
        return None
    try:
        return parse_date(value)
    except BadDate as exc:
        if role is Role.IDENTITY:
            issues.error(row.line, exc.code, exc.reason)
        else:
            issues.unreadable(row.line, role, label or name, value, "date",
                              detail=exc.reason.split(" «")[0])
        return None


def read_email(row: Row, name: str, issues: IssueCollector, role: Role = Role.OTHER,
               label: str = "") -> str:
    """The e-mail address in the field, or "" (with a warning when it cannot be read)."""
    value = row.get(name)
    if value and not _EMAIL.fullmatch(value):
        issues.unreadable(row.line, role, label or name, value, "adresse électronique")
        return ""
    return value


def repeated_blocks(row: Row, fields: Collection[str]) -> list[dict[str, str]]:
    """The repeated column blocks of a row (a parent's children): a new block starts when a
    field of the current block comes again, so the columns may come in any order."""
    blocks: list[dict[str, str]] = []
    for name, value in row.cells:
        if name not in fields:
            continue
        if not blocks or name in blocks[-1]:
            blocks.append({})
        blocks[-1][name] = value
    return [block for block in blocks if any(block.values())]
