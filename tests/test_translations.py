"""French first: every catalogue is fully translated and its compiled .mo is up to date."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "preau"
CATALOGUES = sorted(ROOT.glob("**/locale/fr/LC_MESSAGES/django.po"))

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None,
                                reason="needs GNU gettext's msgfmt (apt-get install gettext)")


def test_every_app_with_templates_has_a_french_catalogue():
    apps = {p.parent.parent.name for p in ROOT.glob("*/templates/*")}
    with_catalogue = {p.parents[3].name for p in CATALOGUES}
    assert apps <= with_catalogue


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po, tmp_path):
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "x.mo"),
                             str(po)], capture_output=True, text=True, check=True)
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    compiled = po.with_suffix(".mo")
    assert compiled.exists(), f"{compiled} missing: run msgfmt"
    assert compiled.read_bytes() == (tmp_path / "x.mo").read_bytes(), (
        f"{compiled} is older than its .po: recompile it")
