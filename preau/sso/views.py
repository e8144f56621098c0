"""The SAML service provider's pages: metadata, login start, assertion consumer, account
choice, single logout. djangosaml2's views do the SAML work (signatures, audience,
lifetime, replay, InResponseTo); Préau's parts are which IdP, which account, and what the
person reads when it fails. Each view parses, calls one action, renders."""

from __future__ import annotations

import base64
import logging
from typing import Any

from django.contrib import auth
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from djangosaml2.cache import OutstandingQueriesCache
from djangosaml2.utils import validate_referral_url
from djangosaml2.views import (
    AssertionConsumerServiceView,
    LoginView,
    LogoutInitView,
    LogoutView,
    MetadataView,
    _set_subject_id,
)
from lxml import etree
from saml2.s_utils import UnravelError

from preau.accounts.models import User
from preau.sso import matching
from preau.sso.actions import (
    do_federated_login,
    do_record_choice,
    do_record_invalid_response,
    do_record_refusal,
    match_accounts,
    may_log_in_through,
    subject_of,
)
from preau.sso.choice import choice_accounts
from preau.sso.models import IdentityProvider, IdpKind, Outcome

logger = logging.getLogger(__name__)

SSO_BACKEND = "preau.sso.backends.FederatedBackend"
# In the Django session: which IdP the person logged in through (for the logout).
SESSION_KEY = "preau_sso"
# In the Django session: the accounts offered for choice, signed, with the IdP and subject.
CHOICE_KEY = "preau_sso_choice"
CHOICE_SALT = "preau.sso.choice"
CHOICE_SECONDS = 600
# In the SAML session: the IdP each outstanding AuthnRequest went to.
REQUESTS_KEY = "preau_sso_requests"


def _idp_from_param(value: str) -> IdentityProvider:
    value = (value or "").strip()
    if value.isdigit() and len(value) < 19:
        idp = IdentityProvider.objects.filter(pk=int(value)).first()
    else:
        idp = IdentityProvider.objects.filter(entity_id=value).first() if value else None
    if idp is None:
        raise Http404
    return idp


def _log_in(request: HttpRequest, idp: IdentityProvider, user: User) -> None:
    auth.login(request, user, backend=SSO_BACKEND)
    request.session[SESSION_KEY] = {"idp": idp.pk}


class SsoLoginView(LoginView):
    """`GET /sso/login/?idp=<id or entity id>[&next=…]`: a signed AuthnRequest (redirect
    binding, RSA-SHA256) to that IdP."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        idp = _idp_from_param(request.GET.get("idp", ""))
        query = request.GET.copy()
        query["idp"] = idp.entity_id  # djangosaml2 reads the entity id from here
        request.GET = query  # type: ignore[assignment]
        saml_session = request.saml_session  # type: ignore[attr-defined]
        before = set(OutstandingQueriesCache(saml_session).outstanding_queries())
        response: HttpResponse = super().get(request, *args, **kwargs)
        cache = OutstandingQueriesCache(saml_session)
        sent = set(cache.outstanding_queries()) - before
        if sent:
            requests = dict(saml_session.get(REQUESTS_KEY) or {})
            requests.update(dict.fromkeys(sent, idp.entity_id))
            saml_session[REQUESTS_KEY] = requests
        return response


class Refused(PermissionDenied):
    """The matching refused the login: the page says what to do (already logged)."""

    def __init__(self, idp: IdentityProvider) -> None:
        super().__init__("refused")
        self.idp = idp


class ChoiceNeeded(PermissionDenied):
    """Several accounts: the person chooses one (the list is in the session)."""


class SsoAcsView(AssertionConsumerServiceView):
    """`POST /sso/acs/`: djangosaml2 checks the response (signatures, audience, lifetime,
    InResponseTo of an outstanding request, replay); then the account is matched."""

    invalid_reason = ""

    def custom_validation(self, response: Any) -> None:
        """The response holds an assertion pysaml2 accepted (with a wrong Recipient it drops
        the assertion without raising, and djangosaml2 would then fail with a 500), and comes
        from the IdP this login was sent to."""
        assertion = getattr(response, "assertion", None)
        if assertion is None or not getattr(assertion, "authn_statement", None):
            self.invalid_reason = "NoValidAssertion"
            raise PermissionDenied("no valid assertion")
        saml_session = self.request.saml_session  # type: ignore[attr-defined]
        requests = dict(saml_session.get(REQUESTS_KEY) or {})
        expected = requests.pop(response.in_response_to, None)
        saml_session[REQUESTS_KEY] = requests
        if expected is not None and expected != response.issuer():
            self.invalid_reason = "IssuerMismatch"
            raise PermissionDenied("issuer differs from the IdP the request went to")

    def handle_acs_failure(self, request: HttpRequest, exception: Exception | None = None,
                           status: int = 403, **kwargs: Any) -> HttpResponse:
        if isinstance(exception, ChoiceNeeded):
            return redirect("sso:choose")
        if isinstance(exception, Refused):
            return refused_page(request, exception.idp)
        reason = self.invalid_reason or (type(exception).__name__ if exception else "Unknown")
        issuer = (kwargs.get("session_info") or {}).get("issuer") or claimed_issuer(
            request.POST.get("SAMLResponse", ""))
        idp = IdentityProvider.objects.filter(entity_id=issuer).first() if issuer else None
        do_record_invalid_response(idp, reason)
        return render(request, "sso/invalid.html", {"nav": ""}, status=403)

    def authenticate_user(self, request: HttpRequest, session_info: dict[str, Any],
                          attribute_mapping: Any, create_unknown_user: Any,
                          assertion_info: Any) -> User:
        idp = IdentityProvider.objects.filter(entity_id=session_info.get("issuer")).first()
        if idp is None:  # removed while the person was at the IdP
            self.invalid_reason = "UnknownIdP"
            raise PermissionDenied("unknown IdP")
        attributes = session_info.get("ava") or {}
        subject = subject_of(idp, attributes, str(session_info.get("name_id") or ""))
        verdict = match_accounts(idp, attributes)
        _set_subject_id(request.saml_session, session_info["name_id"])  # type: ignore[attr-defined]
        if verdict.outcome == Outcome.SUCCESS:
            link = do_federated_login(idp, User.objects.get(pk=verdict.accounts[0]), subject,
                                      reason=verdict.reason)
            _log_in(request, idp, link.user)  # as saved: its session hash is the new one
            return link.user
        if verdict.outcome == Outcome.CHOICE:
            do_record_choice(idp, verdict)
            request.session[CHOICE_KEY] = signing.dumps({
                "idp": idp.pk, "accounts": list(verdict.accounts), "subject": subject,
                "allowed": sorted(_allowed_profiles(idp, attributes)),
                "next": request.POST.get("RelayState", ""), "reason": verdict.reason,
            }, salt=CHOICE_SALT)
            raise ChoiceNeeded("choose")
        do_record_refusal(idp, verdict)
        raise Refused(idp)


def claimed_issuer(saml_response: str) -> str:
    """The Issuer a refused response claims, for the log's IdP column only (unverified)."""
    try:
        root = etree.fromstring(base64.b64decode(saml_response, validate=False)[:1_000_000],
                                etree.XMLParser(resolve_entities=False, no_network=True))
    except (ValueError, etree.XMLSyntaxError):
        return ""
    issuer = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    return (issuer.text or "").strip()[:500] if issuer is not None else ""


def _allowed_profiles(idp: IdentityProvider, attributes: Any) -> frozenset[str]:
    if idp.kind == IdpKind.EDUCONNECT:
        return matching.affiliation_profiles(
            matching.first_values(attributes, "FrEduCtPersonAffiliation"), idp.allow_pupils)
    return matching.STAFF_PROFILES


def refused_page(request: HttpRequest, idp: IdentityProvider) -> HttpResponse:
    """One page for every refusal of the matching (nothing found, unknown académie,
    affiliation, blocked or deleted account): it never tells which account exists."""
    return render(request, "sso/refused.html", {"idp": idp, "is_educonnect":
                                                idp.kind == IdpKind.EDUCONNECT}, status=403)


def _pending_choice(request: HttpRequest) -> dict[str, Any] | None:
    token = request.session.get(CHOICE_KEY)
    if not token:
        return None
    try:
        data: dict[str, Any] = signing.loads(token, salt=CHOICE_SALT, max_age=CHOICE_SECONDS)
    except signing.BadSignature:
        request.session.pop(CHOICE_KEY, None)
        return None
    return data


@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    """Several accounts match the person EduConnect (or a portal) named: they choose the one
    to use now. Only these accounts are shown, from the signed list in the session.

    Hook: gathering these accounts into one (a later change) adds its offer to this page
    (`sso/choose.html`, block `gather`) and its action beside `do_federated_login`.
    """
    pending = _pending_choice(request)
    if pending is None:
        return redirect("accounts:login")
    idp = IdentityProvider.objects.filter(pk=pending["idp"]).first()
    if idp is None:
        request.session.pop(CHOICE_KEY, None)
        return redirect("accounts:login")
    accounts = choice_accounts(pending["accounts"])
    if request.method == "POST":
        chosen = next((a for a in accounts if str(a.user.pk) == request.POST.get("account")),
                      None)
        if chosen is None or not may_log_in_through(idp, chosen.user, pending["allowed"]):
            return render(request, "sso/choose.html", {
                "idp": idp, "accounts": accounts, "error": True}, status=400)
        request.session.pop(CHOICE_KEY, None)
        link = do_federated_login(idp, chosen.user, pending["subject"],
                                  accounts_found=len(accounts), reason=pending.get("reason", ""))
        _log_in(request, idp, link.user)
        next_url = validate_referral_url(request, pending.get("next") or "/") or "/"
        return HttpResponseRedirect(next_url)
    return render(request, "sso/choose.html", {"idp": idp, "accounts": accounts})


class SsoLogoutInitView(LogoutInitView):
    """Single logout with the IdP (a signed LogoutRequest); when it cannot be done, Préau's
    session ends and the page says the IdP's session may still be open."""

    def handle_unsupported_slo_exception(self, request: HttpRequest, exception: Exception,
                                         *args: Any, **kwargs: Any) -> HttpResponse:
        return logged_out_page(request, getattr(self, "idp", None))


def logged_out_page(request: HttpRequest, idp: IdentityProvider | None) -> HttpResponse:
    auth.logout(request)
    return render(request, "sso/logged_out.html", {"idp": idp})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """The logout button of a session opened through an IdP."""
    marker = request.session.get(SESSION_KEY) or {}
    idp = IdentityProvider.objects.filter(pk=marker.get("idp") or 0).first()
    if not request.user.is_authenticated or idp is None:
        auth.logout(request)
        return redirect("accounts:login")
    if not idp.supports_logout:
        return logged_out_page(request, idp)
    view = SsoLogoutInitView()
    view.setup(request)
    view.idp = idp  # type: ignore[attr-defined]
    try:
        response: HttpResponse = view.get(request)
    except Exception:  # no SAML identity left in the SAML session (expired), IdP error…
        logger.warning("SSO: single logout with %s failed", idp.pk, exc_info=True)
        return logged_out_page(request, idp)
    if response.status_code >= 400:
        return logged_out_page(request, idp)
    return response


metadata = MetadataView.as_view()
login = SsoLoginView.as_view()
acs = SsoAcsView.as_view()
class SsoLogoutServiceView(LogoutView):
    """`/sso/ls/`: the IdP's LogoutResponse (or LogoutRequest). A message pysaml2 cannot
    read is a 400, not a 500."""

    def do_logout_service(self, request: HttpRequest, data: Any, binding: str, *args: Any,
                          **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().do_logout_service(request, data, binding, *args,
                                                               **kwargs)
        except (UnravelError, ValueError, TypeError, KeyError, etree.XMLSyntaxError) as error:
            logger.warning("SSO: unreadable logout message: %s", type(error).__name__)
            return HttpResponseBadRequest("Unreadable SAML logout message.")
        return response


logout_service = SsoLogoutServiceView.as_view()
