"""Writes of single sign-on: identity providers (add, change, refresh, remove) and federated
logins (the account found is marked federated, activated if it waited, linked to the IdP;
every attempt is logged, and written in the history of the accounts it concerns).

Views, the console and the `preau sso` command call these only. Matching rules are pure
functions in `preau.sso.matching`; `match_accounts` runs their queries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.actions import record_event
from preau.accounts.models import State, User, UserEvent
from preau.directory.models import Academy
from preau.lib.errors import Refusal
from preau.lib.text import clean_line
from preau.sso import matching
from preau.sso.config import xmlsec_binary
from preau.sso.metadata import MetadataError, is_url, read_idp_metadata, read_source
from preau.sso.models import (
    FederatedIdentity,
    IdentityProvider,
    IdpKind,
    LoginAttempt,
    Outcome,
    StaffMatch,
)

logger = logging.getLogger(__name__)
Attributes = Mapping[str, Sequence[str]]


class SsoError(Refusal):
    """A refused change of an identity provider; the message is for the administrator."""


# -- identity providers -------------------------------------------------------------------


def _clean_settings(kind: str, name: str, identity_attribute: str, identity_match: str
                    ) -> tuple[str, str, str]:
    if kind not in IdpKind.values:
        raise SsoError(_("Unknown kind of identity provider: %(kind)s.") % {"kind": kind})
    name = clean_line(name)
    if not name:
        raise SsoError(_("Give the identity provider a name."))
    identity_attribute = clean_line(identity_attribute) or "ctemail"
    if identity_match not in StaffMatch.values:
        raise SsoError(_("Unknown way to match accounts: %(match)s.") % {"match": identity_match})
    return name, identity_attribute, identity_match


@transaction.atomic
def check_add_idp(*, kind: str, name: str, metadata: bytes, source: str = "",
                  certificate: str = "", academies: Iterable[Academy] = (),
                  identity_attribute: str = "ctemail", identity_match: str = StaffMatch.EMAIL,
                  allow_pupils: bool = False) -> IdentityProvider:
    """A new IdP from its metadata (`source`: the file's name, or the URL it came from and
    is refreshed from)."""
    name, identity_attribute, identity_match = _clean_settings(
        kind, name, identity_attribute, identity_match)
    parsed = read_idp_metadata(metadata, certificate=certificate, xmlsec=xmlsec_binary())
    if IdentityProvider.objects.filter(entity_id=parsed.entity_id).exists():
        raise SsoError(_("An identity provider with the entity id %(entity_id)s exists "
                         "already.") % {"entity_id": parsed.entity_id})
    idp = IdentityProvider.objects.create(
        kind=kind, name=name, entity_id=parsed.entity_id, metadata_xml=parsed.xml,
        metadata_source=source[:500], metadata_url=source if is_url(source) else "",
        metadata_cert=certificate.strip(), supports_logout=parsed.supports_logout,
        identity_attribute=identity_attribute, identity_match=identity_match,
        allow_pupils=allow_pupils and kind == IdpKind.EDUCONNECT)
    idp.academies.set(list(academies))
    logger.info("SSO: identity provider %s added (%s, %s)", idp.pk, kind, parsed.entity_id)
    return idp


@transaction.atomic
def check_update_idp(idp: IdentityProvider, *, name: str, academies: Iterable[Academy],
                     identity_attribute: str, identity_match: str, allow_pupils: bool,
                     certificate: str | None = None) -> None:
    """The settings an ENT admin may change; the metadata changes by refresh or upload."""
    name, identity_attribute, identity_match = _clean_settings(
        idp.kind, name, identity_attribute, identity_match)
    if certificate is not None and certificate.strip() != idp.metadata_cert:
        # A new certificate must hold for the metadata kept.
        read_idp_metadata(idp.metadata_xml.encode(), certificate=certificate,
                          xmlsec=xmlsec_binary())
        idp.metadata_cert = certificate.strip()
    idp.name = name
    idp.identity_attribute = identity_attribute
    idp.identity_match = identity_match
    idp.allow_pupils = allow_pupils and idp.kind == IdpKind.EDUCONNECT
    idp.save()
    idp.academies.set(list(academies))


@transaction.atomic
def check_replace_metadata(idp: IdentityProvider, data: bytes, source: str = "") -> bool:
    """New metadata for the same entity (signed with the IdP's certificate when it has
    one). Returns whether it changed anything."""
    parsed = read_idp_metadata(data, certificate=idp.metadata_cert, xmlsec=xmlsec_binary())
    if parsed.entity_id != idp.entity_id:
        raise MetadataError(_("The metadata describes %(found)s, not %(expected)s.")
                            % {"found": parsed.entity_id, "expected": idp.entity_id})
    changed = parsed.xml != idp.metadata_xml
    idp.metadata_xml = parsed.xml
    idp.supports_logout = parsed.supports_logout
    idp.metadata_updated_at = timezone.now()
    idp.metadata_error = ""
    if source:
        idp.metadata_source = source[:500]
        idp.metadata_url = source if is_url(source) else ""
    idp.save()
    return changed


def do_refresh_metadata(idp: IdentityProvider) -> str:
    """Fetches an IdP's metadata again from its URL. Idempotent: safe to run daily. A
    failure keeps the metadata in use and is recorded on the row (shown in the console).
    Returns "unchanged", "updated", "no URL" or the error."""
    if not idp.metadata_url:
        return "no URL"
    try:
        changed = check_replace_metadata(idp, read_source(idp.metadata_url))
    except MetadataError as error:
        IdentityProvider.objects.filter(pk=idp.pk).update(metadata_error=str(error)[:500])
        logger.warning("SSO: metadata of identity provider %s not refreshed: %s", idp.pk, error)
        return str(error)
    return "updated" if changed else "unchanged"


def do_refresh_all_metadata() -> list[tuple[IdentityProvider, str]]:
    """The daily refresh (`preau sso refresh`, from cron): every IdP with a URL."""
    return [(idp, do_refresh_metadata(idp))
            for idp in IdentityProvider.objects.exclude(metadata_url="").order_by("pk")]


@transaction.atomic
def do_remove_idp(idp: IdentityProvider) -> None:
    """Removes an IdP and its links to accounts; the accounts stay federated (they cannot
    log in any more until an IdP of their kind is added again), the log keeps its lines."""
    logger.info("SSO: identity provider %s removed (%s)", idp.pk, idp.entity_id)
    idp.delete()


def do_forget_links(user_ids: Sequence[int]) -> None:
    """The final deletion of accounts: their IdP links (personal data) go."""
    FederatedIdentity.objects.filter(user_id__in=user_ids).delete()


# -- federated logins --------------------------------------------------------------------


def subject_of(idp: IdentityProvider, attributes: Attributes, name_id: str = "") -> str:
    """The IdP's stable id of the person: EduConnect's FrEduCtId, a portal's identity
    attribute; else the NameID (which may be transient)."""
    name = "FrEduCtId" if idp.kind == IdpKind.EDUCONNECT else idp.identity_attribute
    values = matching.first_values(attributes, name)
    return (values[0] if values else name_id)[:256]


def _candidates(users: Any) -> list[matching.Candidate]:
    return [matching.Candidate(id=pk, profile=profile, state=state)
            for pk, profile, state in users.order_by("pk").values_list("pk", "profile", "state")]


def match_accounts(idp: IdentityProvider, attributes: Attributes) -> matching.Verdict:
    """The accounts an assertion of `idp` names, judged (`matching.judge`)."""
    academies = list(idp.academies.values_list("code", "feed_prefix"))
    if idp.kind == IdpKind.EDUCONNECT:
        refids = matching.parse_refids(matching.first_values(attributes, "FrEduCtRefId"))
        keys = matching.feed_keys(refids, dict(academies))
        query = Q()
        for prefix, feed_id in keys.keys:
            query |= Q(external_prefix=prefix, external_id=feed_id)
        candidates = _candidates(User.objects.filter(query)) if keys.keys else []
        allowed = matching.affiliation_profiles(
            matching.first_values(attributes, "FrEduCtPersonAffiliation"), idp.allow_pupils)
        return matching.judge(candidates, allowed, unknown_codes=keys.unknown_codes,
                              profile_outcome=Outcome.AFFILIATION_MISMATCH)
    prefixes = [prefix for _code, prefix in academies]
    if idp.identity_match == StaffMatch.EXTERNAL_ID:
        ids = matching.first_values(attributes, idp.identity_attribute)
        users = User.objects.filter(external_prefix__in=prefixes, external_id__in=ids)
        candidates = _candidates(users) if ids and prefixes else []
    else:
        emails = matching.staff_emails(attributes, idp.identity_attribute)
        candidates = []
        if emails:
            # Accounts of the IdP's académies (or made by hand) only: an académie's portal
            # does not speak for another académie's people.
            scope = Q(external_prefix="") | Q(external_prefix__in=prefixes)
            by_academic = Q()
            by_email = Q()
            for email in emails:
                by_academic |= Q(academic_email__iexact=email)
                by_email |= Q(email__iexact=email)
            candidates = _candidates(User.objects.filter(scope).filter(by_academic))
            if not candidates:
                candidates = _candidates(User.objects.filter(scope, academic_email="")
                                         .filter(by_email))
    return matching.judge(candidates, matching.STAFF_PROFILES,
                          profile_outcome=Outcome.PROFILE_REFUSED)


def may_log_in_through(idp: IdentityProvider, user: User, allowed: Iterable[str]) -> bool:
    """Re-checks an account offered for choice at the moment it is chosen."""
    return user.profile in set(allowed) and user.state not in matching.REFUSED_STATES


@transaction.atomic
def do_federated_login(idp: IdentityProvider, user: User, subject: str, *,
                       accounts_found: int = 1, reason: str = "") -> FederatedIdentity:
    """Records a federated login of `user` through `idp`. The first one makes the account
    federated (its ENT password is refused from then on: `LocalPasswordBackend`) and
    activates it if it waited for its activation code."""
    user = User.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    fields: list[str] = []
    if not user.federated:
        user.federated = True
        user.set_unusable_password()  # and sessions opened with the password end
        fields += ["federated", "password"]
        record_event(user, UserEvent.Kind.FEDERATED,
                     message=_("Logs in through %(idp)s from now on: the ENT password is "
                               "refused.") % {"idp": idp.name}, idp=idp.pk)
    if user.state == State.PENDING:
        user.state = State.ACTIVE
        user.activated_at = now
        user.activation_code = ""
        fields += ["state", "activated_at", "activation_code"]
        record_event(user, UserEvent.Kind.ACTIVATED,
                     message=_("Activated by a first login through %(idp)s.")
                     % {"idp": idp.name}, idp=idp.pk)
    if fields:
        user.save(update_fields=fields)
    link, created = FederatedIdentity.objects.get_or_create(
        user=user, idp=idp, defaults={"subject": subject, "first_login_at": now,
                                      "last_login_at": now})
    link.user = user  # the account as saved here (its new session hash)
    if not created:
        link.last_login_at = now
        link.subject = subject or link.subject
        link.save(update_fields=["last_login_at", "subject"])
    record_event(user, UserEvent.Kind.SSO_LOGIN,
                 message=_("Logged in through %(idp)s.") % {"idp": idp.name},
                 idp=idp.pk, first=created)
    LoginAttempt.objects.create(idp=idp, outcome=Outcome.SUCCESS, user=user,
                                accounts=accounts_found, reason=reason[:200])
    return link


@transaction.atomic
def do_record_refusal(idp: IdentityProvider, verdict: matching.Verdict) -> LoginAttempt:
    """A login the matching refused: in the log, and in the history of every account it
    found (none when nothing matched)."""
    label = Outcome(verdict.outcome).label
    for user_id in verdict.known:
        UserEvent.objects.create(
            user_id=user_id, kind=UserEvent.Kind.SSO_REFUSED,
            message=_("Single sign-on through %(idp)s refused: %(reason)s.")
            % {"idp": idp.name, "reason": label},
            details={"idp": idp.pk, "outcome": str(verdict.outcome)})
    return LoginAttempt.objects.create(
        idp=idp, outcome=verdict.outcome, reason=verdict.reason[:200],
        user_id=verdict.known[0] if len(verdict.known) == 1 else None,
        accounts=len(verdict.known))


def do_record_choice(idp: IdentityProvider, verdict: matching.Verdict) -> LoginAttempt:
    return LoginAttempt.objects.create(idp=idp, outcome=Outcome.CHOICE,
                                       reason=verdict.reason[:200],
                                       accounts=len(verdict.accounts))


def do_record_invalid_response(idp: IdentityProvider | None, reason: str) -> LoginAttempt:
    """A response the SAML checks refused (signature, replay, audience, lifetime,
    unsolicited…): `reason` is pysaml2's exception name, never the response itself."""
    return LoginAttempt.objects.create(idp=idp, outcome=Outcome.INVALID_RESPONSE,
                                       reason=reason[:200])
