"""The console's single sign-on pages (ENT admins only), the `preau sso` command, the SP's
metadata and key pair, and the login page's ways in. No IdP server needed here."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse

from preau.accounts.models import UserEvent
from preau.directory.models import Academy
from preau.sso.actions import check_add_idp, do_federated_login, do_record_invalid_response
from preau.sso.metadata import MetadataError, read_idp_metadata
from preau.sso.models import FederatedIdentity, IdentityProvider, IdpKind, LoginAttempt, Outcome
from tests.console.test_permissions import PERSONAS, _outcome

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
METADATA = (DATA / "idp-metadata.xml").read_bytes()
ENTITY = "https://portail.ac-exemple.test/idp"


def add_idp(personas, kind=IdpKind.ACADEMIE, entity=ENTITY, name="Portail") -> IdentityProvider:
    return check_add_idp(kind=kind, name=name, metadata=METADATA.replace(
        ENTITY.encode(), entity.encode()), source="idp-metadata.xml",
        academies=[personas.academy])


# -- permissions --------------------------------------------------------------------------


def _cases(idp: IdentityProvider) -> list[tuple[str, str, dict | None, int]]:
    upload = {"kind": "academie", "name": "Autre", "identity_attribute": "ctemail",
              "identity_match": "email"}
    return [
        ("list", reverse("console:sso:idps"), None, 200),
        ("log", reverse("console:sso:attempts"), None, 200),
        ("add form", reverse("console:sso:idp_add"), None, 200),
        ("add", reverse("console:sso:idp_add"), upload, 400),  # no metadata given
        ("idp", reverse("console:sso:idp", args=[idp.pk]), None, 200),
        ("save", reverse("console:sso:idp", args=[idp.pk]),
         {"name": "Nouveau nom", "identity_attribute": "mail", "identity_match": "email"}, 302),
        ("metadata", reverse("console:sso:idp_metadata", args=[idp.pk]), {"refresh": "1"}, 302),
        ("remove form", reverse("console:sso:idp_remove", args=[idp.pk]), None, 200),
        ("remove", reverse("console:sso:idp_remove", args=[idp.pk]), {}, 302),
    ]


def test_only_ent_admins_open_the_sso_pages(personas, client_for):
    idp = add_idp(personas)
    for name, url, data, admin_status in _cases(idp):
        outcomes, expected = {}, {}
        for persona in PERSONAS:
            client = client_for(getattr(personas, persona) if persona else None)
            with transaction.atomic():
                response = client.get(url) if data is None else client.post(url, data)
                transaction.set_rollback(True)
            outcomes[persona or "anonymous"] = _outcome(response)
            expected[persona or "anonymous"] = (
                "login" if persona is None else admin_status if persona == "ent_admin"
                else 403)
        assert outcomes == expected, name


def test_the_console_tab_is_for_ent_admins(personas, client_for):
    url = reverse("console:sso:idps")
    assert url in client_for(personas.ent_admin).get(reverse("console:index")).content.decode()
    assert url not in client_for(personas.school_admin).get(
        reverse("console:index")).content.decode()


# -- pages ----------------------------------------------------------------------------------


def test_an_admin_adds_an_idp_from_a_file_edits_and_removes_it(personas, client_for):
    client = client_for(personas.ent_admin)
    answer = client.post(reverse("console:sso:idp_add"), {
        "kind": "educonnect", "name": "EduConnect", "academies": [personas.academy.pk],
        "identity_attribute": "ctemail", "identity_match": "email", "allow_pupils": "on",
        "metadata_file": SimpleUploadedFile("md.xml", METADATA, "text/xml")})
    idp = IdentityProvider.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("console:sso:idp",
                                                                       args=[idp.pk])
    assert (idp.kind, idp.entity_id, idp.allow_pupils, idp.supports_logout) == (
        IdpKind.EDUCONNECT, ENTITY, True, True)
    assert list(idp.academies.all()) == [personas.academy]
    page = client.get(answer["Location"]).content.decode()
    assert "Fournisseur d’identité EduConnect ajouté." in page and ENTITY in page  # noqa: RUF001
    amiens = Academy.objects.create(code="18", name="Amiens", feed_prefix="amiens")
    client.post(answer["Location"], {"name": "EduConnect national", "academies": [amiens.pk],
                                     "identity_attribute": "ctemail",
                                     "identity_match": "email"})
    idp.refresh_from_db()
    assert idp.name == "EduConnect national" and list(idp.academies.all()) == [amiens]
    assert not idp.allow_pupils
    # The same entity twice is refused, in French.
    again = client.post(reverse("console:sso:idp_add"), {
        "kind": "academie", "name": "Bis", "identity_attribute": "ctemail",
        "identity_match": "email",
        "metadata_file": SimpleUploadedFile("md.xml", METADATA, "text/xml")})
    assert again.status_code == 400 and "existe déjà" in again.content.decode()
    client.post(reverse("console:sso:idp_remove", args=[idp.pk]))
    assert not IdentityProvider.objects.exists()


def test_bad_metadata_is_refused_with_a_reason(personas, client_for):
    client = client_for(personas.ent_admin)
    for content, words in [(b"<html>not saml</html>", "pas des métadonnées SAML"),
                           (b"<?xml version='1.0'?><x", "XML"),
                           (METADATA.replace(b"IDPSSODescriptor", b"SPSSODescriptor"),
                            "fournisseur d’identité")]:  # noqa: RUF001
        answer = client.post(reverse("console:sso:idp_add"), {
            "kind": "academie", "name": "X", "identity_attribute": "ctemail",
            "identity_match": "email",
            "metadata_file": SimpleUploadedFile("md.xml", content, "text/xml")})
        assert answer.status_code == 400 and words in answer.content.decode(), words
    assert not IdentityProvider.objects.exists()


def test_metadata_with_entities_is_refused():
    xml = b"""<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>"""
    with pytest.raises(MetadataError):
        read_idp_metadata(xml)


def test_a_metadata_certificate_requires_a_signature(personas):
    certificate = (Path(__file__).parent / "sp.crt").read_text()
    with pytest.raises(MetadataError, match=r"signées|signed"):
        read_idp_metadata(METADATA, certificate=certificate)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_idp_list_and_log_query_counts_do_not_grow(extra, personas, client_for,
                                                       django_assert_num_queries):
    idps = [add_idp(personas, entity=f"https://idp{n}.test/idp", name=f"IdP {n}")
            for n in range(1 + extra // 4)]
    for n in range(1 + extra):
        idp = idps[n % len(idps)]
        do_federated_login(idp, personas.teacher, "jeanne")
        do_record_invalid_response(idp, "SignatureError")
    client = client_for(personas.ent_admin)
    client.get(reverse("console:sso:idps"))  # warm the session
    with django_assert_num_queries(5):  # session, user, quota gauge, IdPs, their académies
        response = client.get(reverse("console:sso:idps"))
    assert response.content.decode().count('href="/administration/identification/') >= len(idps)
    with django_assert_num_queries(6):  # session, user, count, quota gauge, filter's IdPs, page
        response = client.get(reverse("console:sso:attempts"), {"outcome": "success"})
    assert response.content.decode().count("Jeanne Petit") == 1 + extra


def test_the_log_filters_by_idp_outcome_and_date(personas, client_for):
    first = add_idp(personas)
    second = add_idp(personas, entity="https://other.test/idp", name="Autre")
    do_federated_login(first, personas.teacher, "jeanne")
    do_record_invalid_response(second, "SignatureError")
    LoginAttempt.objects.filter(outcome=Outcome.INVALID_RESPONSE).update(
        at="2023-09-01T10:00:00+02:00")
    client = client_for(personas.ent_admin)

    def listed(**query):
        page = client.get(reverse("console:sso:attempts"), query)
        return page.context["page"].paginator.count

    assert listed() == 2
    assert listed(idp=second.pk) == 1
    assert listed(outcome="success") == 1
    assert listed(since="2023-08-31", until="2023-09-01") == 1
    assert listed(idp="not-an-id") == 2  # a bad filter is ignored


# -- history and deletion -----------------------------------------------------------------


def test_the_final_deletion_forgets_the_links(personas):
    from preau.feeds.lifecycle import erase_personal_data

    idp = add_idp(personas)
    do_federated_login(idp, personas.teacher, "jeanne.petit@ac-test.fr")
    erase_personal_data([personas.teacher.pk], personas.teacher.created_at)
    assert not FederatedIdentity.objects.exists()


def test_the_first_federated_login_is_in_the_history_page(personas, client_for):
    idp = add_idp(personas)
    do_federated_login(idp, personas.teacher, "jeanne")
    kinds = list(UserEvent.objects.filter(user=personas.teacher).values_list("kind", flat=True))
    assert UserEvent.Kind.FEDERATED in kinds and UserEvent.Kind.SSO_LOGIN in kinds
    page = client_for(personas.ent_admin).get(reverse("console:user",
                                                      args=[personas.teacher.pk]))
    assert "Portail" in page.content.decode()


# -- the command ------------------------------------------------------------------------------


def test_the_command_adds_lists_and_removes(personas, tmp_path):
    metadata = tmp_path / "md.xml"
    metadata.write_bytes(METADATA)
    out = StringIO()
    call_command("sso", "idp", "add", "--kind", "academie", "--name", "Portail de Lille",
                 "--metadata", str(metadata), "--academy", "lille", stdout=out)
    idp = IdentityProvider.objects.get()
    assert f"Added identity provider {idp.pk}" in out.getvalue()
    out = StringIO()
    call_command("sso", "idp", "list", "--json", stdout=out)
    assert json.loads(out.getvalue()) == [{
        "id": idp.pk, "name": "Portail de Lille", "kind": "academie", "entity_id": ENTITY,
        "academies": ["lille"], "metadata_url": "", "single_logout": True}]
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("sso", "idp", "add", "--kind", "academie", "--name", "Bis",
                     "--metadata", str(metadata), stdout=StringIO())
    with pytest.raises(CommandError, match="No académie"):
        call_command("sso", "idp", "add", "--kind", "academie", "--name", "Bis",
                     "--metadata", str(metadata), "--academy", "nowhere", stdout=StringIO())
    call_command("sso", "idp", "remove", str(idp.pk), stdout=StringIO())
    assert not IdentityProvider.objects.exists()
    with pytest.raises(CommandError):
        call_command("sso", "idp", "remove", str(idp.pk), stdout=StringIO())


def test_refresh_fetches_url_metadata_and_keeps_the_old_one_on_failure(personas, tmp_path,
                                                                       monkeypatch):
    from preau.sso import metadata as module

    served = {"data": METADATA}
    monkeypatch.setattr(module, "fetch", lambda url: served["data"])
    idp = check_add_idp(kind=IdpKind.ACADEMIE, name="Portail", metadata=METADATA,
                        source="https://portail.ac-exemple.test/metadata")
    out = StringIO()
    call_command("sso", "refresh", stdout=out)
    assert "unchanged" in out.getvalue()
    served["data"] = METADATA.replace(b"https://portail.ac-exemple.test/sso",
                                      b"https://portail.ac-exemple.test/sso2")
    call_command("sso", "refresh", stdout=StringIO())
    idp.refresh_from_db()
    assert "sso2" in idp.metadata_xml and not idp.metadata_error
    served["data"] = b"<broken"
    with pytest.raises(CommandError, match="failed"):
        call_command("sso", "refresh", stdout=StringIO())
    idp.refresh_from_db()
    assert "sso2" in idp.metadata_xml and idp.metadata_error


# -- the SP ------------------------------------------------------------------------------------


def test_the_sp_metadata_names_the_sso_urls_and_asks_for_signatures(client, settings):
    answer = client.get("/sso/metadata/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/xml")
    xml = answer.content.decode()
    assert 'entityID="http://testserver/sso/metadata/"' in xml
    assert 'Location="http://testserver/sso/acs/"' in xml
    assert 'Location="http://testserver/sso/ls/"' in xml
    assert 'AuthnRequestsSigned="true"' in xml and 'WantAssertionsSigned="true"' in xml
    settings.PREAU_SAML_BASE_URL = "https://ent.example.fr"
    xml = client.get("/sso/metadata/").content.decode()
    assert 'entityID="https://ent.example.fr/sso/metadata/"' in xml


def test_the_sp_key_pair_is_made_once_in_the_data_dir(settings):
    from preau.sso.config import sp_key_pair

    settings.PREAU_SAML_KEY_FILE = settings.PREAU_SAML_CERT_FILE = ""
    key, cert = sp_key_pair()
    assert Path(key).parent == Path(settings.DATA_DIR) / "saml"
    assert Path(key).stat().st_mode & 0o077 == 0
    assert "BEGIN CERTIFICATE" in Path(cert).read_text()
    assert sp_key_pair() == (key, cert) and Path(key).read_bytes() == Path(key).read_bytes()


# -- the login page --------------------------------------------------------------------------


def test_the_login_page_offers_only_the_configured_ways_in(client, personas):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "/sso/login/" not in page
    wrong = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    text = wrong.content.decode()
    assert "Identifiant ou mot de passe incorrect" in text and "EduConnect" not in text.split(
        'role="alert"')[1].split("</div>")[0]
    portal = add_idp(personas, name="Académie de Lille")
    page = client.get(reverse("accounts:login")).content.decode()
    assert f"/sso/login/?idp={portal.pk}" in page
    assert "Enseignants et personnels : identifiants académiques" in page
    assert "Parents : EduConnect" not in page
    alert = client.post(reverse("accounts:login"), {"username": "x", "password": "y"}
                        ).content.decode().split('role="alert"')[1].split("</div>")[0]
    assert "Identifiants académiques" in alert and "EduConnect" not in alert
    educonnect = add_idp(personas, IdpKind.EDUCONNECT, "https://educonnect.test/idp",
                         "EduConnect")
    page = client.get(reverse("accounts:login"), {"next": "/messagerie/"}).content.decode()
    assert f"/sso/login/?idp={educonnect.pk}&amp;next=%2Fmessagerie%2F" in page
    assert "Parents : EduConnect" in page and "Se connecter avec EduConnect" in page
    alert = client.post(reverse("accounts:login"), {"username": "x", "password": "y"}
                        ).content.decode().split('role="alert"')[1].split("</div>")[0]
    assert "EduConnect" in alert
