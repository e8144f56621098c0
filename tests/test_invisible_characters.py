"""Bidi controls and other invisible characters never reach a name Préau shows.

One function (`preau.lib.text.clean_line`, the file names' rule since the start) cleans every
one-line text a person types or a feed sends: message subjects, people's names (console,
API, AAF and CSV feeds), document and mail folder names, bookmark names, class and group
names. A right-to-left override could otherwise show "Martin" as "nitraM", or a pupil's
"gpj.exe" as "exe.jpg".
"""

from __future__ import annotations

import dataclasses
import sys
import unicodedata
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from preau.accounts.models import Profile, User
from preau.console.actions import check_create_class
from preau.directory.models import SchoolClass, ShareBookmark, Structure
from preau.documents.actions import clean_name
from preau.documents.models import Node
from preau.feeds.parsers import ManualTemplate, parse_manual_csv
from preau.lib.text import clean_line
from preau.messaging.models import MailFolder, Message
from tests.feeds.helpers import DATA
from tests.feeds.importing import build_world, current_year, run_import

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# (NUL is refused outright by Django's forms and cannot be written in XML.)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\x07\x1b\x7f"
EVERY = BIDI + INVISIBLE


def dirty(word: str, inside: str = EVERY) -> str:
    """`word` with every bidi control and invisible character inside it."""
    return word[:2] + inside + word[2:] + "\u202e"


# What XML 1.0 can carry (no C0 control but tab and line breaks, which become spaces).
IN_XML = BIDI + "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def assert_clean(value: str, expected: str) -> None:
    assert value == expected
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def test_clean_line_removes_every_control_and_format_character():
    removed = [chr(c) for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in ("Cc", "Cf")]
    assert len(removed) > 150 and set(BIDI) <= set(removed)
    text = "a" + "".join(removed) + "b"
    breaks = [ch for ch in removed if ch.isspace()]  # tab, line breaks: spaces
    assert len(breaks) >= 6
    assert clean_line(text) == "a" + " " * len(breaks) + "b"
    assert clean_line(" Mar\u202etin ") == "Martin"


def test_clean_line_keeps_what_is_visible():
    visible = "Élodie\u00a0:\u202fCM2 — Les Tilleuls"  # no-break spaces of French typography
    assert clean_line(visible) == visible
    assert clean_line("Zoe\u0301") == "Zoé"  # NFC
    assert clean_line("Jean\tMarie\nDupont") == "Jean Marie Dupont"


def test_file_names_use_the_same_rule():
    assert clean_name("photo\u202egpj.exe") == "photogpj.exe"
    assert clean_name("C:\\Users\\x\\no\u200bte.txt") == "note.txt"


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
    return client


def test_message_subjects(client_for, personas):
    p = personas
    client_for(p.teacher).post("/messagerie/nouveau/", {
        "to": [f"user:{p.parent.pk}"], "subject": dirty("Sortie"), "action": "save"})
    assert_clean(Message.objects.get().subject, "Sortie")
    response = api(p.teacher).post("/api/v1/mail/drafts/", {
        "to": [f"user:{p.parent.pk}"], "subject": dirty("Piscine")}, format="json")
    assert response.status_code == 201
    assert_clean(Message.objects.get(pk=response.json()["id"]).subject, "Piscine")


def test_mail_folder_names(client_for, personas):
    client_for(personas.teacher).post("/messagerie/dossiers/nouveau/",
                                      {"name": dirty("Parents")})
    assert_clean(MailFolder.objects.get().name, "Parents")
    response = api(personas.teacher).post("/api/v1/mail/folders/", {"name": dirty("Sorties")},
                                          format="json")
    assert response.status_code == 201
    assert_clean(MailFolder.objects.get(pk=int(response.json()["key"])).name, "Sorties")


def test_document_folder_names(client_for, personas):
    client_for(personas.teacher).post("/documents/nouveau-dossier/",
                                      {"name": dirty("Classeur")})
    assert_clean(Node.objects.get().name, "Classeur")
    client = api(personas.teacher)
    response = client.post("/api/v1/folders/", {"name": dirty("Photos")}, format="json")
    assert response.status_code == 201
    folder_id = response.json()["id"]
    assert_clean(Node.objects.get(pk=folder_id).name, "Photos")
    client.patch(f"/api/v1/folders/{folder_id}/", {"name": dirty("Images")}, format="json")
    assert_clean(Node.objects.get(pk=folder_id).name, "Images")


def test_bookmark_names(client_for, personas):
    client_for(personas.teacher).post("/annuaire/favoris/nouveau/", {"name": dirty("Équipe")})
    assert_clean(ShareBookmark.objects.get().name, "Équipe")
    client = api(personas.teacher)
    response = client.post("/api/v1/bookmarks/", {"name": dirty("Collègues")}, format="json")
    assert response.status_code == 201
    bookmark_id = response.json()["id"]
    assert_clean(ShareBookmark.objects.get(pk=bookmark_id).name, "Collègues")
    client.patch(f"/api/v1/bookmarks/{bookmark_id}/", {"name": dirty("Amis")}, format="json")
    assert_clean(ShareBookmark.objects.get(pk=bookmark_id).name, "Amis")


def test_names_of_people_made_in_the_console_and_the_api(client_for, personas):
    p = personas
    client_for(p.school_admin).post(f"/administration/comptes/creer/?school={p.school.pk}", {
        "school": p.school.pk, "profile": Profile.GUEST, "first_name": dirty("Maëlle"),
        "last_name": dirty("Martin")})
    guest = User.objects.get(last_name__startswith="Ma", profile=Profile.GUEST,
                             first_name__contains="lle")
    assert_clean(guest.first_name, "Maëlle")
    assert_clean(guest.last_name, "Martin")
    client = api(p.school_admin)
    response = client.post("/api/v1/admin/users/", {
        "first_name": dirty("Anaïs"), "last_name": dirty("Durand"), "profile": Profile.GUEST,
        "school": p.school.pk}, format="json")
    assert response.status_code == 201
    person = User.objects.get(pk=response.json()["id"])
    assert_clean(person.first_name, "Anaïs")
    assert_clean(person.full_name, "Anaïs Durand")
    client.patch(f"/api/v1/admin/users/{person.pk}/", {"last_name": dirty("Petit")},
                 format="json")
    person.refresh_from_db()
    assert_clean(person.last_name, "Petit")


def test_class_names_made_by_hand(personas):
    school = Structure.objects.create(uai="0593003C", name="École sans feed",
                                      academy=personas.academy, has_feed=False)
    school_class = check_create_class(school, dirty("CE1"), dirty("CE1 Bleu"), ["CE1"])
    assert_clean(school_class.code, "CE1")
    assert_clean(school_class.name, "CE1 Bleu")
    assert all(not set(EVERY) & set(group.name) for group in school_class.groups.all())


def test_names_from_an_aaf_feed(db, tmp_path):
    current_year()
    world = build_world(classes=("CM1",), pupils_per_class=1)
    pupil = world.pupils[0]
    world.pupils[0] = dataclasses.replace(pupil, first_name=dirty("Léa", IN_XML),
                                          last_name=dirty("Martin", IN_XML))
    world.schools[0] = dataclasses.replace(world.schools[0],
                                           name=dirty("École Les Tilleuls", IN_XML))
    run_import(world.write(tmp_path / "feed"))
    person = User.objects.get(external_id=pupil.external_id)
    assert_clean(person.first_name, "Léa")
    assert_clean(person.last_name, "Martin")
    assert_clean(Structure.objects.get().name, "École Les Tilleuls")
    assert all(not set(EVERY) & set(c.name) for c in SchoolClass.objects.all())


def test_names_from_a_csv_import(tmp_path):
    source = (DATA / "manual-csv" / "CSV_Eleves.csv").read_bytes().decode("latin-1")
    text = source.replace("Léa;COLIN", f"{dirty('Léa')};{dirty('COLIN')}")
    path = Path(tmp_path / "CSV_Eleves.csv")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    records = parse_manual_csv(path, ManualTemplate.PUPILS, "0750001A").records
    assert_clean(records[0].first_name, "Léa")
    assert_clean(records[0].last_name, "COLIN")


@pytest.mark.parametrize("raw", [dirty("Martin"), "Martin\u202e", "\u2067Martin\u2069"])
def test_the_rule_is_the_same_everywhere(raw):
    assert clean_line(raw) == clean_name(raw) == "Martin"
