"""Federated logins end to end, against two real SAML IdPs (SimpleSAMLphp, see conftest):
Préau signs the AuthnRequest, the IdP logs the person in and signs its response, Préau
checks it and finds the account."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
from django.test import Client

from preau.accounts.backends import LocalPasswordBackend
from preau.accounts.models import Profile, State, User, UserEvent
from preau.directory.models import Academy
from preau.sso.models import FederatedIdentity, LoginAttempt, Outcome
from tests.personas import PASSWORD, make_user
from tests.sso.conftest import OTHER_SP_ENTITY

pytestmark = pytest.mark.django_db


def logged_in_as(client: Client) -> User | None:
    answer = client.get("/compte/")
    if answer.status_code != 200:
        return None
    return answer.context["user"]


def without_tokens(answer) -> str:
    """A page without its CSRF tokens (new at every rendering)."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", answer.content.decode())


def as_relative(user: User, prefix: str, feed_id: str) -> User:
    user.external_prefix, user.external_id = prefix, feed_id
    user.save()
    return user


def events(user: User) -> list[str]:
    return list(UserEvent.objects.filter(user=user).order_by("at", "id")
                .values_list("kind", flat=True))


def attempt() -> LoginAttempt:
    return LoginAttempt.objects.order_by("-id").first()


# -- the académie portal: teachers and staff ------------------------------------------------


def test_the_login_starts_with_a_signed_sha256_authn_request(client, idps):
    answer = client.get("/sso/login/", {"idp": idps["agents"].pk})
    query = parse_qs(urlparse(answer["Location"]).query)
    assert answer.status_code == 302 and "SAMLRequest" in query and "Signature" in query
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    # The entity id works too; an unknown IdP is a 404.
    assert client.get("/sso/login/", {"idp": idps["agents"].entity_id}).status_code == 302
    assert client.get("/sso/login/", {"idp": "https://unknown.test/idp"}).status_code == 404
    assert client.get("/sso/login/", {"idp": "999999"}).status_code == 404


def test_a_teacher_logs_in_with_her_academie_email(client, personas, idps, saml_login):
    teacher = personas.teacher
    teacher.state, teacher.activation_code = State.PENDING, "ABCDEFGH"
    teacher.save()
    acs, data = saml_login(client, "agents", "prof1", "prof1pw", next_url="/annuaire/")
    assert acs == "/sso/acs/"
    answer = client.post(acs, data)
    assert answer.status_code == 302 and answer["Location"] == "/annuaire/"
    assert logged_in_as(client) == teacher
    teacher.refresh_from_db()
    assert teacher.federated and teacher.state == State.ACTIVE and not teacher.activation_code
    link = FederatedIdentity.objects.get(user=teacher)
    assert link.idp == idps["agents"] and link.subject == "jeanne.petit@ac-test.fr"
    assert events(teacher)[-3:] == [UserEvent.Kind.FEDERATED, UserEvent.Kind.ACTIVATED,
                                    UserEvent.Kind.SSO_LOGIN]
    assert (attempt().outcome, attempt().user) == (Outcome.SUCCESS, teacher)
    # A second login updates the link and writes one more history line.
    second = Client()
    client_answer = second.post(*saml_login(second, "agents", "prof1", "prof1pw"))
    assert client_answer.status_code == 302
    assert FederatedIdentity.objects.filter(user=teacher).count() == 1
    assert events(teacher).count(UserEvent.Kind.SSO_LOGIN) == 2
    assert events(teacher).count(UserEvent.Kind.FEDERATED) == 1


def test_after_a_federated_login_the_local_password_is_refused(client, personas, saml_login):
    teacher = personas.teacher
    backend = LocalPasswordBackend()
    assert backend.authenticate(None, username=teacher.login, password=PASSWORD) == teacher
    client.post(*saml_login(client, "agents", "prof1", "prof1pw"))
    assert backend.authenticate(None, username=teacher.login, password=PASSWORD) is None
    other = Client()
    answer = other.post("/compte/connexion/", {"username": teacher.login,
                                               "password": PASSWORD})
    assert answer.status_code == 200 and logged_in_as(other) is None


def test_the_portal_may_match_the_feeds_id(client, personas, idps, saml_login):
    agents = idps["agents"]
    agents.identity_attribute, agents.identity_match = "FrEduFeedId", "external_id"
    agents.save()
    colleague = as_relative(personas.colleague, "lille", "T-0001")  # a teacher, fed
    answer = client.post(*saml_login(client, "agents", "prof1", "prof1pw"))
    assert answer.status_code == 302 and logged_in_as(client) == colleague


def test_the_portal_does_not_open_a_parents_account(client, personas, saml_login):
    personas.teacher.academic_email = ""
    personas.teacher.save()
    personas.parent.academic_email = "jeanne.petit@ac-test.fr"
    personas.parent.save()
    answer = client.post(*saml_login(client, "agents", "prof1", "prof1pw"))
    assert answer.status_code == 403 and logged_in_as(client) is None
    assert attempt().outcome == Outcome.PROFILE_REFUSED
    assert UserEvent.Kind.SSO_REFUSED in events(personas.parent)
    assert not User.objects.get(pk=personas.parent.pk).federated


# -- EduConnect: parents and pupils ---------------------------------------------------------


def test_a_parent_with_one_account_logs_in(client, personas, saml_login):
    parent = as_relative(personas.parent, "lille", "2000123")
    answer = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert logged_in_as(client) == parent
    parent.refresh_from_db()
    assert parent.federated
    assert FederatedIdentity.objects.get(user=parent).subject == "ECT-RESP-0001"
    # {AAF}18 is another académie, which this EduConnect IdP does not serve here.
    assert (attempt().outcome, attempt().reason) == (Outcome.SUCCESS, "unknown code 18")


def amiens() -> Academy:
    return Academy.objects.create(code="18", name="Académie d'Amiens", feed_prefix="amiens")


def test_a_parent_with_two_accounts_chooses_one(client, personas, idps, saml_login):
    first = as_relative(personas.parent, "lille", "2000123")
    idps["educonnect"].academies.add(amiens())
    second = as_relative(make_user("Marie", "Martin", Profile.RELATIVE), "amiens", "4500789")
    stranger = as_relative(make_user("Zoé", "Inconnue", Profile.RELATIVE), "lille", "2000999")
    answer = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    assert answer.status_code == 302 and answer["Location"] == "/sso/choisir/"
    assert "2000123" not in answer["Location"] and logged_in_as(client) is None
    page = client.get("/sso/choisir/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Choisissez votre compte" in text and "Chloé" in text  # the first one's child
    assert text.count('name="account"') == 2 and stranger.full_name not in text
    # Only an account of the list can be chosen.
    refused = client.post("/sso/choisir/", {"account": stranger.pk})
    assert refused.status_code == 400 and logged_in_as(client) is None
    answer = client.post("/sso/choisir/", {"account": second.pk})
    assert answer.status_code == 302 and logged_in_as(client) == second
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.federated and not first.federated
    assert list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.CHOICE, Outcome.SUCCESS]
    assert client.get("/sso/choisir/")["Location"] == "/compte/connexion/"  # used once


def test_no_match_says_what_to_do_and_creates_nothing(client, personas, saml_login):
    users = User.objects.count()
    answer = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    assert answer.status_code == 403 and logged_in_as(client) is None
    text = answer.content.decode()
    assert "Aucun compte de l’ENT" in text  # noqa: RUF001
    assert "école" in text and "eRun" in text and "Rien n’a été créé" in text  # noqa: RUF001
    assert User.objects.count() == users
    assert attempt().outcome == Outcome.UNKNOWN_ACADEMY and attempt().reason == "code 18"


def test_an_unknown_academie_code_alone_finds_nobody(client, personas, idps, saml_login):
    # The only account is in académie 18, which the IdP does not serve.
    amiens()
    as_relative(personas.parent, "amiens", "4500789")
    answer = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    assert answer.status_code == 403 and logged_in_as(client) is None
    assert (attempt().outcome, attempt().reason) == (Outcome.UNKNOWN_ACADEMY, "code 18")


def test_an_affiliation_that_contradicts_the_profile_is_refused(client, personas, saml_login):
    pupil = as_relative(personas.pupil, "lille", "2000123")  # "resp2d" names a pupil
    answer = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    assert answer.status_code == 403 and logged_in_as(client) is None
    assert attempt().outcome == Outcome.AFFILIATION_MISMATCH and attempt().user == pupil
    assert events(pupil)[-1] == UserEvent.Kind.SSO_REFUSED


def test_pupils_log_in_only_when_the_idp_allows_it(client, personas, idps, saml_login):
    pupil = as_relative(personas.pupil, "lille", "2000789")
    answer = client.post(*saml_login(client, "educonnect", "eleve1d", "eleve1dpw"))
    assert answer.status_code == 403 and attempt().outcome == Outcome.AFFILIATION_MISMATCH
    idps["educonnect"].allow_pupils = True
    idps["educonnect"].save()
    other = Client()
    answer = other.post(*saml_login(other, "educonnect", "eleve1d", "eleve1dpw"))
    assert answer.status_code == 302 and logged_in_as(other) == pupil


@pytest.mark.parametrize("state", [State.BLOCKED, State.PREDELETED, State.DELETED])
def test_refused_accounts_get_the_no_account_page(client, personas, saml_login, state):
    """Same page as for nobody: it does not tell which account exists."""
    nobody = client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    parent = as_relative(personas.parent, "lille", "2000123")
    parent.state = state
    parent.save()
    other = Client()
    refused = other.post(*saml_login(other, "educonnect", "parent1", "parent1pw"))
    assert refused.status_code == nobody.status_code == 403
    assert without_tokens(refused) == without_tokens(nobody)
    assert logged_in_as(other) is None
    assert (attempt().outcome, attempt().user) == (Outcome.ACCOUNT_REFUSED, parent)
    assert events(parent)[-1] == UserEvent.Kind.SSO_REFUSED


# -- logout -------------------------------------------------------------------------------


def test_single_logout_sends_a_signed_logout_request(client, personas, saml_login):
    as_relative(personas.parent, "lille", "2000123")
    client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    page = client.get("/").content.decode()
    assert 'action="/sso/deconnexion/"' in page
    answer = client.post("/sso/deconnexion/")
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer["Location"]).query)
    assert "SAMLRequest" in query and "Signature" in query
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert logged_in_as(client) is None
    # The IdP (in the browser that logged in there) accepts the signed request and answers
    # to Préau's logout service.
    browser, location = saml_login.browsers[-1], answer["Location"]
    while not location.startswith("http://testserver/"):
        back = browser.get(location, allow_redirects=False, timeout=10)
        assert back.status_code in (302, 303), back.text[:500]
        location = urljoin(location, back.headers["Location"])
    returned = urlparse(location)
    assert returned.path == "/sso/ls/"
    done = client.get(returned.path + "?" + returned.query)
    assert done.status_code == 302 and done["Location"] == "/compte/connexion/"


def test_without_single_logout_the_page_says_the_idp_session_may_be_open(
        client, personas, idps, saml_login):
    idps["educonnect"].supports_logout = False
    idps["educonnect"].save()
    as_relative(personas.parent, "lille", "2000123")
    client.post(*saml_login(client, "educonnect", "parent1", "parent1pw"))
    answer = client.post("/sso/deconnexion/")
    assert answer.status_code == 200 and logged_in_as(client) is None
    assert "peut être encore ouverte" in answer.content.decode()


def test_an_unsolicited_response_is_refused(client, personas, idps, idp_initiated):
    as_relative(personas.parent, "lille", "2000123")
    client.get("/sso/login/", {"idp": "https://educonnect.test/idp"})  # another request
    acs, data = idp_initiated("educonnect", "parent1", "parent1pw")
    assert acs == "/sso/acs/"
    answer = client.post(acs, data)
    assert answer.status_code == 403 and logged_in_as(client) is None
    assert attempt().outcome == Outcome.INVALID_RESPONSE
    assert attempt().reason == "UnsolicitedResponse"


def test_a_response_for_another_sp_is_refused(client, personas, idps, idp_initiated):
    as_relative(personas.parent, "lille", "2000123")
    _acs, data = idp_initiated("educonnect", "parent1", "parent1pw", OTHER_SP_ENTITY)
    answer = client.post("/sso/acs/", data)
    assert answer.status_code == 403 and logged_in_as(client) is None
    assert attempt().outcome == Outcome.INVALID_RESPONSE and attempt().idp == idps["educonnect"]
