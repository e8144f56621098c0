"""An IdP's SAML metadata: read from a file or a URL, checked, its entity id found.

Parsed with lxml without entities, DTDs or network access. When the IdP row has a
certificate, the metadata must carry an enveloped signature on its root, made with it
(checked with xmlsec1, as the SAML messages are).
"""

from __future__ import annotations

import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from preau.lib.errors import Refusal

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
MAX_BYTES = 5 * 1024 * 1024
FETCH_SECONDS = 20


class MetadataError(Refusal):
    """Metadata that cannot be used; the message is for the administrator."""


@dataclass(frozen=True)
class IdpMetadata:
    xml: str
    entity_id: str
    supports_logout: bool
    display_name: str


def is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def fetch(url: str) -> bytes:
    """The metadata at `url` (HTTP or HTTPS only, 20 s, 5 MiB at most)."""
    if not is_url(url):
        raise MetadataError(_("The metadata URL must start with https:// or http://."))
    try:
        with urllib.request.urlopen(url, timeout=FETCH_SECONDS) as answer:  # noqa: S310
            data: bytes = answer.read(MAX_BYTES + 1)
    except (OSError, ValueError) as error:
        raise MetadataError(_("The metadata could not be fetched: %(error)s")
                            % {"error": error}) from error
    if len(data) > MAX_BYTES:
        raise MetadataError(_("The metadata is larger than 5 MiB."))
    return data


def read_source(source: str) -> bytes:
    """A URL's or a file's content."""
    if is_url(source):
        return fetch(source)
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise MetadataError(_("The metadata file cannot be read: %(error)s")
                            % {"error": error.strerror or error}) from error


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise MetadataError(_("The metadata is not valid XML: %(error)s")
                            % {"error": error}) from error
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = root.findall(f"{{{MD}}}EntityDescriptor")
        idps = [e for e in entities if e.find(f"{{{MD}}}IDPSSODescriptor") is not None]
        if len(idps) != 1:
            raise MetadataError(_("The metadata must describe exactly one identity provider."))
    elif root.tag != f"{{{MD}}}EntityDescriptor":
        raise MetadataError(_("This is not SAML 2.0 metadata (no EntityDescriptor)."))
    return root


def _check_signature(data: bytes, root: etree._Element, certificate: str, xmlsec: str) -> None:
    """An enveloped signature, child of the root, over the root itself, valid for
    `certificate` (no signature elsewhere can stand in for it)."""
    from saml2.sigver import CryptoBackendXmlSec1, SignatureError

    signature = root.find(f"{{{DS}}}Signature")
    refusal = MetadataError(_("The metadata is not signed with the given certificate."))
    if signature is None:
        raise refusal
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    root_id = root.get("ID")
    if len(references) != 1 or references[0].get("URI") not in ("", f"#{root_id}"):
        raise refusal
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as pem:
        pem.write(certificate)
        pem.flush()
        try:
            ok = CryptoBackendXmlSec1(xmlsec).validate_signature(
                data, cert_file=pem.name, cert_type="pem",
                node_name=f"{MD}:{etree.QName(root).localname}", node_id=root_id)
        except SignatureError as error:
            raise refusal from error
    if not ok:
        raise refusal


def read_idp_metadata(data: bytes, *, certificate: str = "", xmlsec: str = "") -> IdpMetadata:
    """Checks `data` is one IdP's metadata (signed with `certificate` when given)."""
    if len(data) > MAX_BYTES:
        raise MetadataError(_("The metadata is larger than 5 MiB."))
    root = _parse(data)
    if certificate.strip():
        _check_signature(data, root, certificate, xmlsec)
    entity = root if root.tag == f"{{{MD}}}EntityDescriptor" else next(
        e for e in root.findall(f"{{{MD}}}EntityDescriptor")
        if e.find(f"{{{MD}}}IDPSSODescriptor") is not None)
    idp = entity.find(f"{{{MD}}}IDPSSODescriptor")
    entity_id = (entity.get("entityID") or "").strip()
    if idp is None or not entity_id:
        raise MetadataError(_("The metadata does not describe an identity provider."))
    if idp.find(f"{{{MD}}}SingleSignOnService") is None:
        raise MetadataError(_("The identity provider has no SingleSignOnService."))
    if not idp.findall(f"{{{MD}}}KeyDescriptor"):
        raise MetadataError(_("The identity provider's metadata has no signing certificate."))
    names = entity.findall(f".//{{{MD}}}OrganizationDisplayName")
    display = (names[0].text or "").strip() if names else ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MetadataError(_("The metadata must be encoded in UTF-8.")) from error
    return IdpMetadata(xml=text, entity_id=entity_id,
                       supports_logout=idp.find(f"{{{MD}}}SingleLogoutService") is not None,
                       display_name=display)
