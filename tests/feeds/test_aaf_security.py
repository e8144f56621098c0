"""Hostile XML: external entities, entity expansion bombs, DTD tricks.

Decision: any entity declaration in an internal DTD subset refuses the file ("unsafe-xml")
before a record is produced, and no entity is ever expanded or fetched. The real files'
external DOCTYPE (never loaded) still parses.
"""

from __future__ import annotations

import time

import pytest

from preau.feeds.parsers import FeedError, parse_aaf
from tests.feeds.helpers import DATA, aaf_document, people, pupil_1d, request, write_aaf_bytes

SECRET = "SECRET-MARKER-5b1f"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _refused(path) -> FeedError:
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(path))
    return caught.value


def test_external_entity_is_refused_without_reading_it(tmp_path, secret_file):
    doctype = (f'<!DOCTYPE ficAlimMENESR [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>')
    data = aaf_document(request("E1", [("sn", ["&xxe;"]), ("givenName", ["A"])]),
                        doctype=doctype)
    data = data.replace(b"&amp;xxe;", b"&xxe;")
    error = _refused(write_aaf_bytes(tmp_path, "Eleve", data))
    assert error.code == "unsafe-xml"
    assert SECRET not in str(error)
    assert all(SECRET not in issue.reason for issue in error.issues)


def test_external_parameter_entity_is_refused(tmp_path, secret_file):
    doctype = (f'<!DOCTYPE ficAlimMENESR [<!ENTITY % ext SYSTEM "{secret_file.as_uri()}">'
               " %ext;]>")
    data = aaf_document(pupil_1d("E1"), doctype=doctype)
    error = _refused(write_aaf_bytes(tmp_path, "Eleve", data))
    assert error.code == "unsafe-xml"
    assert SECRET not in str(error)


def _laughs(levels: int, fan_out: int) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * fan_out}">'
                 for i in range(1, levels)]
    return "<!DOCTYPE ficAlimMENESR [\n" + "\n".join(entities) + "\n]>"


@pytest.mark.parametrize(("levels", "fan_out"), [(10, 10), (3, 3)])
def test_entity_expansion_is_refused_without_expanding(tmp_path, levels, fan_out):
    """The classic billion laughs, and a small one that stays under libxml2's own limit."""
    data = aaf_document(
        request("E1", [("sn", [f"&lol{levels - 1};"]), ("givenName", ["A"])]),
        doctype=_laughs(levels, fan_out),
    ).replace(b"&amp;lol", b"&lol")
    path = write_aaf_bytes(tmp_path, "Eleve", data)
    started = time.monotonic()
    error = _refused(path)
    assert time.monotonic() - started < 1
    assert error.code == "unsafe-xml"
    assert "lollol" not in str(error)


def test_undeclared_entity_reference_is_refused(tmp_path):
    data = aaf_document(pupil_1d("E1"), pupil_1d("E2")).replace(
        b"<value>MARTIN</value>", b"<value>MAR&foo;TIN</value>", 1)
    path = write_aaf_bytes(tmp_path, "Eleve", data)
    error = _refused(path)
    [unsafe] = [issue for issue in error.issues if issue.code == "unsafe-xml"]
    assert "&foo;" in unsafe.reason
    assert unsafe.line == data[: data.index(b"&foo;")].count(b"\n") + 1


def test_harmless_internal_subset_without_entities_is_accepted(tmp_path):
    doctype = "<!DOCTYPE ficAlimMENESR [<!ELEMENT ficAlimMENESR ANY>]>"
    data = aaf_document(pupil_1d("E1"), doctype=doctype)
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.external_id == "E1"


def test_external_dtd_of_the_real_files_is_not_loaded(tmp_path):
    """A DTD that would fail to parse sits beside the file: it must never be read."""
    (tmp_path / "ficAlimMENESR.dtd").write_text("<!ELEMENT broken")
    data = aaf_document(pupil_1d("E1"))
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.last_name == "MARTIN"


def test_fixtures_keep_their_doctype():
    assert b'<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">' in (
        DATA / "aaf" / "ENT_Complet_20200101_Eleve_0000.xml").read_bytes()
