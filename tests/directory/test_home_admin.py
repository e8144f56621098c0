"""The home page of an ENT administrator attached to no school points to the console."""

import pytest

pytestmark = pytest.mark.django_db


def test_ent_admin_without_school_is_pointed_to_the_console(client_for, personas):
    page = client_for(personas.ent_admin).get("/").content.decode()
    assert "Vous administrez tout l\u2019ENT" in page and 'href="/administration/"' in page
    assert "encore rattaché(e) à aucune école" not in page


def test_teacher_without_school_is_told_when_it_comes(client_for, personas):
    personas.colleague.attachments.all().delete()
    page = client_for(personas.colleague).get("/").content.decode()
    assert "Vous n'êtes encore rattaché(e) à aucune école" in page
    assert "Vous administrez" not in page
