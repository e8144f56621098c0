"""Responses Préau must refuse, each for its own reason: the signatures, the replay cache,
the audience, the lifetime and the destination are checked by pysaml2 (through
djangosaml2); re-signed variants use the IdP's own key, so only the edited field is wrong."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1

from preau.accounts.models import User
from preau.sso.config import xmlsec_binary
from preau.sso.models import LoginAttempt, Outcome
from tests.sso.conftest import decode, encode

pytestmark = pytest.mark.django_db

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def parent(personas):
    parent = personas.parent
    parent.external_prefix, parent.external_id = "lille", "2000123"
    parent.save()
    return parent


@pytest.fixture
def answer(client, parent, saml_login):
    """A genuine response to a genuine request of `client`, not yet posted."""
    return saml_login(client, "educonnect", "parent1", "parent1pw")


def logged_in(client: Client) -> bool:
    return client.get("/compte/").status_code == 200


def refused(client: Client, acs: str, data: dict[str, str]) -> LoginAttempt:
    federated = User.objects.filter(federated=True).count()
    response = client.post(acs, data)
    assert response.status_code == 403, response.content[:300]
    assert "Connexion non vérifiée" in response.content.decode()
    assert not logged_in(client)
    assert User.objects.filter(federated=True).count() == federated
    attempt = LoginAttempt.objects.order_by("-id").first()
    assert attempt is not None and attempt.outcome == Outcome.INVALID_RESPONSE
    return attempt


def resign(xml: bytes, key_file: str) -> bytes:
    """Signs the assertion, then the response, again with the IdP's key."""
    root = etree.fromstring(xml)
    for signature in root.iter(f"{{{DS}}}Signature"):
        for value in ("DigestValue", "SignatureValue"):
            for node in signature.iter(f"{{{DS}}}{value}"):
                node.text = ""
    backend = CryptoBackendXmlSec1(xmlsec_binary())
    assertion = root.find(f"{{{SAML}}}Assertion")
    text = backend.sign_statement(etree.tostring(root), f"{SAML}:Assertion", key_file,
                                  assertion.get("ID"))
    text = backend.sign_statement(text.encode(), f"{SAMLP}:Response", key_file, root.get("ID"))
    return text.encode()


def edit(xml: bytes, change) -> bytes:
    root = etree.fromstring(xml)
    change(root)
    return etree.tostring(root)


def test_a_resigned_but_unchanged_response_is_accepted(client, answer, idp_servers):
    """The tests below change one thing each: this one proves re-signing alone is fine."""
    acs, data = answer
    xml = resign(decode(data), str(idp_servers["educonnect"]["key"]))
    assert client.post(acs, encode(data, xml)).status_code == 302 and logged_in(client)


def test_an_edited_attribute_value_is_refused(client, answer):
    acs, data = answer
    xml = decode(data).replace(b"2000123", b"2000124")
    assert refused(client, acs, encode(data, xml)).reason == "SignatureError"


def test_an_added_refid_value_is_refused(client, answer):
    acs, data = answer
    xml = re.sub(rb"(<saml:AttributeValue[^>]*>\{AAF\}09\|1\|2000123</saml:AttributeValue>)",
                 rb"\1<saml:AttributeValue xsi:type=\"xs:string\">{AAF}09|1|2000999"
                 rb"</saml:AttributeValue>", decode(data))
    assert b"2000999" in xml
    refused(client, acs, encode(data, xml))


def test_an_unsigned_response_is_refused(client, answer):
    acs, data = answer

    def strip(root):
        for signature in list(root.iter(f"{{{DS}}}Signature")):
            signature.getparent().remove(signature)

    refused(client, acs, encode(data, edit(decode(data), strip)))


def test_a_replayed_response_is_refused(client, answer):
    acs, data = answer
    assert client.post(acs, data).status_code == 302
    client.post("/compte/deconnexion/")
    assert not logged_in(client)
    refused(client, acs, data)
    # ...from another browser too (no request of its own waits for it).
    refused(Client(), acs, data)


def test_a_wrong_audience_is_refused(client, answer, idp_servers):
    acs, data = answer

    def audience(root):
        root.find(f".//{{{SAML}}}Audience").text = "http://other-ent.test/sso/metadata/"

    xml = resign(edit(decode(data), audience), str(idp_servers["educonnect"]["key"]))
    refused(client, acs, encode(data, xml))


def test_an_expired_assertion_is_refused(client, answer, idp_servers):
    acs, data = answer
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    def expire(root):
        for node in root.iter(f"{{{SAML}}}SubjectConfirmationData", f"{{{SAML}}}Conditions"):
            node.set("NotOnOrAfter", past)

    xml = resign(edit(decode(data), expire), str(idp_servers["educonnect"]["key"]))
    refused(client, acs, encode(data, xml))


def test_a_response_addressed_to_another_sp_is_refused(client, answer, idp_servers):
    acs, data = answer
    other = "http://other-ent.test/sso/acs/"

    def readdress(root):
        root.set("Destination", other)
        root.find(f".//{{{SAML}}}SubjectConfirmationData").set("Recipient", other)

    xml = resign(edit(decode(data), readdress), str(idp_servers["educonnect"]["key"]))
    assert refused(client, acs, encode(data, xml)).reason == "NoValidAssertion"


def test_a_response_signed_by_another_key_is_refused(client, answer, idp_servers):
    acs, data = answer
    # The agents portal's key is a real IdP key, but not EduConnect's.
    xml = resign(decode(data), str(idp_servers["agents"]["key"]))
    assert refused(client, acs, encode(data, xml)).reason == "SignatureError"


def test_the_other_idp_cannot_answer_a_request_sent_to_educonnect(client, parent, saml_login,
                                                                 idps):
    _acs, data = saml_login(client, "educonnect", "parent1", "parent1pw")
    other = Client()
    acs, agents_data = saml_login(other, "agents", "prof1", "prof1pw")
    refused(client, acs, agents_data)  # answers a request this browser never sent
    assert client.post(acs, data).status_code == 302  # the genuine one still works
