"""Small builders for feed test files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from preau.feeds.parsers import PersonRecord, parse_aaf

DATA = Path(__file__).parent / "data"
SHARED_FIXTURES = Path(__file__).parents[2].parent / "shared" / "fixtures"
DOCTYPE = '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">'

Attrs = Iterable[tuple[str, Iterable[str]]]


def request(identifier: str, attrs: Attrs, *, category: str = "Eleve",
            category_attr: str = "categoriePersonne", tag: str = "addRequest") -> str:
    """One AAF request, one line per attribute (so tests can point at lines)."""
    lines = [
        f"<{tag}>",
        f'<operationalAttributes><attr name="{category_attr}"><value>{escape(category)}'
        "</value></attr></operationalAttributes>",
        f"<identifier><id>{escape(identifier)}</id></identifier>",
        "<attributes>",
    ]
    for name, values in attrs:
        inner = "".join(f"<value>{escape(v)}</value>" for v in values)
        lines.append(f"<attr name={quoteattr(name)}>{inner}</attr>")
    lines += ["</attributes>", f"</{tag}>"]
    return "\n".join(lines)


def aaf_document(*requests: str, doctype: str = DOCTYPE, root: str = "ficAlimMENESR",
                 encoding: str = "UTF-8") -> bytes:
    """Line 1: declaration, line 2: doctype, line 3: root, requests from line 4."""
    body = "\n".join(requests)
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}\n<{root}>\n{body}\n'
            f"</{root}>\n")
    return text.encode(encoding)


def write_aaf_bytes(folder: Path, kind: str, data: bytes, number: int = 0) -> Path:
    path = folder / f"ENT_Complet_20240901_{kind}_{number:04d}.xml"
    path.write_bytes(data)
    return path


def line_of(data: bytes, needle: str) -> int:
    """1-based line of the first occurrence of `needle` in the document."""
    index = data.index(needle.encode())
    return data.count(b"\n", 0, index) + 1


def pupil_1d(identifier: str, **overrides: list[str]) -> str:
    attrs = {
        "ENTPersonJointure": [identifier],
        "ENTPersonNom": ["MARTIN"],
        "ENTPersonPrenom": ["Léa"],
        "ENTPersonDateNaissance": ["14/03/2016"],
        "ENTEleveINE": ["123456789AB"],
        "ENTPersonStructRattach": ["ST1"],
        "ENTPersonClasses": ["ST1$x$y$CM1A$CM1 A"],
        "ENTEleveAutoriteParentale": ["R1"],
    }
    attrs.update(overrides)
    return request(identifier, attrs.items())


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "latin-1",
              bom: bool = False) -> Path:
    text = "\r\n".join(";".join(row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def people(path: Path, flavour: Any = "aaf1d", **options: Any) -> list[PersonRecord]:
    """parse_aaf for person files, typed for the tests (parse_aaf yields a union)."""
    records = list(parse_aaf(path, flavour, **options))
    assert all(isinstance(r, PersonRecord) for r in records)
    return [r for r in records if isinstance(r, PersonRecord)]
