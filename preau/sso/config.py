"""Préau as a SAML service provider: its URLs, its key pair, and the pysaml2 configuration
built from the IdP rows on every SAML request (djangosaml2's `SAML_CONFIG_LOADER`), so an
IdP added in the console or with `preau sso idp add` works at once, without a restart."""

from __future__ import annotations

import datetime
import fcntl
import os
import shutil
from pathlib import Path

import saml2
import saml2.saml
import saml2.xmldsig
from django.conf import settings
from django.http import HttpRequest
from saml2.config import SPConfig

ATTRIBUTE_MAPS = Path(__file__).resolve().parent / "attribute_maps"
SP_PATHS = {"metadata": "/sso/metadata/", "acs": "/sso/acs/", "ls": "/sso/ls/"}


def sp_base_url(request: HttpRequest | None = None) -> str:
    """PREAU_SAML_BASE_URL, else the scheme and host of the request (`http://testserver` in
    tests), without a trailing slash."""
    base = settings.PREAU_SAML_BASE_URL
    if not base and request is not None:
        base = request.build_absolute_uri("/")
    return (base or "http://localhost:8000").rstrip("/")


def sp_entity_id(request: HttpRequest | None = None) -> str:
    return sp_base_url(request) + SP_PATHS["metadata"]


def xmlsec_binary() -> str:
    return settings.PREAU_SAML_XMLSEC_BINARY or shutil.which("xmlsec1") or "/usr/bin/xmlsec1"


def sp_key_pair() -> tuple[str, str]:
    """Paths of the SP's private key and certificate: the settings' files, or a pair made
    once in PREAU_DATA_DIR/saml/ (RSA 2048, self-signed, ten years; a lock keeps two
    processes from writing two different halves)."""
    if settings.PREAU_SAML_KEY_FILE and settings.PREAU_SAML_CERT_FILE:
        return settings.PREAU_SAML_KEY_FILE, settings.PREAU_SAML_CERT_FILE
    folder = Path(settings.DATA_DIR) / "saml"
    key, cert = folder / "sp.key", folder / "sp.crt"
    if key.exists() and cert.exists():
        return str(key), str(cert)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key.exists() and cert.exists()):
            _write_key_pair(key, cert)
    return str(key), str(cert)


def _write_key_pair(key_path: Path, cert_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"{settings.PREAU_ENT_NAME} SAML SP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    descriptor = os.open(key_path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem_key)
    cert_path.with_suffix(".tmp.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(cert_path.with_suffix(".tmp.crt"), cert_path)
    os.replace(key_path.with_suffix(".tmp"), key_path)


def saml_settings(request: HttpRequest | None = None,
                  metadata: list[str] | None = None) -> dict[str, object]:
    """pysaml2's configuration dictionary: signed AuthnRequests and LogoutRequests
    (RSA-SHA256), signed responses and assertions wanted, no unsolicited response."""
    from preau.sso.models import IdentityProvider

    base = sp_base_url(request)
    key, cert = sp_key_pair()
    if metadata is None:
        metadata = list(IdentityProvider.objects.order_by("pk")
                        .values_list("metadata_xml", flat=True))
    return {
        "xmlsec_binary": xmlsec_binary(),
        "entityid": base + SP_PATHS["metadata"],
        "attribute_map_dir": str(ATTRIBUTE_MAPS),
        # Attributes outside the maps keep their names (a portal's own id attribute).
        "allow_unknown_attributes": True,
        "accepted_time_diff": settings.PREAU_SAML_CLOCK_SKEW_SECONDS,
        "service": {"sp": {
            "name": settings.PREAU_ENT_NAME,
            "endpoints": {
                "assertion_consumer_service": [(base + SP_PATHS["acs"],
                                                saml2.BINDING_HTTP_POST)],
                "single_logout_service": [(base + SP_PATHS["ls"],
                                           saml2.BINDING_HTTP_REDIRECT)],
            },
            "name_id_format": saml2.saml.NAMEID_FORMAT_TRANSIENT,
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "want_response_signed": True,
            "want_assertions_signed": True,
            "allow_unsolicited": False,
            "signing_algorithm": saml2.xmldsig.SIG_RSA_SHA256,
            "digest_algorithm": saml2.xmldsig.DIGEST_SHA256,
        }},
        "metadata": {"inline": metadata},
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
    }


def config_loader(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's SAML_CONFIG_LOADER: the configuration of this request."""
    conf = SPConfig()
    conf.load(saml_settings(request))
    return conf
