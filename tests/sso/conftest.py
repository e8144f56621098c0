"""Two real SAML IdPs for the single sign-on tests: Debian's SimpleSAMLphp 1.19, one
`php -S` process each on 127.0.0.1, standing for EduConnect and an académie's agents portal
(docs/sso.md, *Tests*). Missing SimpleSAMLphp skips these tests locally, and fails them in
CI (`CI=true`), where `./run test` installs it.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse

import lxml.html
import pytest
import requests
from django.test import Client

from preau.sso.actions import check_add_idp
from preau.sso.models import IdentityProvider, IdpKind

HERE = Path(__file__).parent
WWW = Path("/usr/share/simplesamlphp/www")
IDPS = {"educonnect": "https://educonnect.test/idp", "agents": "https://agents.ac-test.test/idp"}
SP_ENTITY = "http://testserver/sso/metadata/"
OTHER_SP_ENTITY = "http://other-ent.test/sso/metadata/"


def needs(what: str) -> None:
    """Skip locally, fail in CI: CI must run every SSO test."""
    message = f"needs {what} (./run test installs it as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _test_sp_keys(settings):
    """The committed test-only SP key pair (the IdPs check requests against sp.crt)."""
    settings.PREAU_SAML_KEY_FILE = str(HERE / "sp.key")
    settings.PREAU_SAML_CERT_FILE = str(HERE / "sp.crt")
    settings.PREAU_SAML_BASE_URL = ""


def _free_port() -> int:
    with socket.socket() as sock:  # a small race, harmless here
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_idp(root: Path, name: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    folder = root / name
    for sub in ("config", "metadata", "cert", "data/tmp"):
        (folder / sub).mkdir(parents=True)
    for src, dst in [("idp/config.php", "config"), (f"idp/{name}/authsources.php", "config"),
                     (f"idp/{name}/saml20-idp-hosted.php", "metadata"),
                     ("idp/saml20-sp-remote.php", "metadata"), ("sp.crt", "cert")]:
        shutil.copy(HERE / src, folder / dst)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", folder / "cert/idp.key",
                    "-out", folder / "cert/idp.crt"], check=True, capture_output=True)
    port = _free_port()
    with (folder / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            ["php", "-d", "error_reporting=E_ALL & ~E_DEPRECATED", "-S", f"127.0.0.1:{port}",
             "-t", str(WWW)],
            env={**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(folder / "config")},
            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):  # ready when its metadata answers
        try:
            with urllib.request.urlopen(url + "/saml2/idp/metadata.php", timeout=1) as answer:
                metadata = answer.read().decode()
        except OSError:
            if proc.poll() is None:
                time.sleep(0.1)
                continue
        else:
            if "IDPSSODescriptor" in metadata:  # config errors come as a 200 HTML page
                return proc, {"entity_id": IDPS[name], "url": url, "metadata": metadata,
                              "key": folder / "cert/idp.key"}
        break
    proc.kill()
    raise RuntimeError((folder / "server.log").read_text())


@pytest.fixture(scope="session")
def idp_servers(tmp_path_factory) -> Iterator[dict[str, dict[str, Any]]]:
    if not WWW.is_dir() or shutil.which("php") is None:
        needs("SimpleSAMLphp (apt-get install simplesamlphp php-xml php-mbstring xmlsec1)")
    if shutil.which("xmlsec1") is None:
        needs("xmlsec1 (apt-get install xmlsec1)")
    root = tmp_path_factory.mktemp("idps")
    procs: list[subprocess.Popen[bytes]] = []
    servers: dict[str, dict[str, Any]] = {}
    try:
        for name in IDPS:
            proc, servers[name] = start_idp(root, name)
            procs.append(proc)
        yield servers
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


@pytest.fixture
def idps(idp_servers, personas) -> dict[str, IdentityProvider]:
    """The two IdPs registered in Préau, serving the personas' académie (code 09)."""
    educonnect = check_add_idp(kind=IdpKind.EDUCONNECT, name="EduConnect",
                               metadata=idp_servers["educonnect"]["metadata"].encode(),
                               source="educonnect.xml", academies=[personas.academy])
    agents = check_add_idp(kind=IdpKind.ACADEMIE, name="Académie de Lille",
                           metadata=idp_servers["agents"]["metadata"].encode(),
                           source="agents.xml", academies=[personas.academy])
    return {"educonnect": educonnect, "agents": agents}


def _form(html: str, field: str) -> Any:
    return next(f for f in lxml.html.fromstring(html).forms if field in f.fields)


def idp_answer(start_url: str, username: str, password: str,
               browser: requests.Session | None = None) -> tuple[str, dict[str, str]]:
    """A new browser at the IdP (so the form always shows): logs in, returns the form the
    IdP would post to the SP (its path and data)."""
    browser = browser or requests.Session()
    page = browser.get(start_url, timeout=10)
    form = _form(page.text, "AuthState")
    page = browser.post(urljoin(page.url, form.action), timeout=10,
                        data={**dict(form.form_values()), "username": username,
                              "password": password})
    form = _form(page.text, "SAMLResponse")  # StopIteration: the IdP refused the login
    return urlparse(form.action).path, dict(form.form_values())


@pytest.fixture
def saml_login(idps) -> Any:
    """Test client → /sso/login/ (a signed AuthnRequest) → IdP's form → (ACS path, data).
    `saml_login.browsers` keeps each IdP browser (its IdP session: single logout)."""

    def login(client: Client, idp: str, username: str, password: str,
              next_url: str = "") -> tuple[str, dict[str, str]]:
        query = {"idp": idps[idp].pk}
        if next_url:
            query["next"] = next_url
        answer = client.get("/sso/login/", query)
        assert answer.status_code == 302, answer.content[:500]
        browser = requests.Session()
        login.browsers.append(browser)  # type: ignore[attr-defined]
        return idp_answer(answer["Location"], username, password, browser)

    login.browsers = []  # type: ignore[attr-defined]
    return login


@pytest.fixture
def idp_initiated(idp_servers) -> Callable[..., tuple[str, dict[str, str]]]:
    """An unsolicited response: the IdP logs in for `sp_entity` without any request."""

    def answer(idp: str, username: str, password: str, sp_entity: str = SP_ENTITY
               ) -> tuple[str, dict[str, str]]:
        url = (idp_servers[idp]["url"] + "/saml2/idp/SSOService.php?spentityid="
               + quote(sp_entity, safe=""))
        return idp_answer(url, username, password)

    return answer


def decode(data: dict[str, str]) -> bytes:
    return base64.b64decode(data["SAMLResponse"])


def encode(data: dict[str, str], xml: bytes) -> dict[str, str]:
    return {**data, "SAMLResponse": base64.b64encode(xml).decode()}
