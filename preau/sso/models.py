"""Single sign-on: the SAML identity providers Préau trusts, the link between an account and
an IdP, and the log of every federated login attempt.

An IdP is either an académie's agents portal (teachers and staff, `academie`) or EduConnect
(parents, and pupils when allowed, `educonnect`). Its SAML metadata is kept in the row, so
the SP configuration is built from the database on each request (`preau.sso.config`) and
adding an IdP needs no restart. None of these rows is purged by the year change: an account
stays federated, with its links, from one school year to the next.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Academy


class IdpKind(models.TextChoices):
    ACADEMIE = "academie", _("Académie portal (teachers and staff)")
    EDUCONNECT = "educonnect", _("EduConnect (parents and pupils)")


class StaffMatch(models.TextChoices):
    """How an académie portal's person is found among the accounts."""

    EMAIL = "email", _("Académie e-mail (matched with the account's académie e-mail, then "
                       "its e-mail)")
    EXTERNAL_ID = "external_id", _("Feed identifier (matched with the account's external id "
                                   "in the IdP's académies)")


class IdentityProvider(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=IdpKind.choices)
    name = models.CharField(_("display name"), max_length=100)
    entity_id = models.CharField(_("entity id"), max_length=500, unique=True)
    metadata_xml = models.TextField(_("SAML metadata"))
    # A file name (uploaded or given to the command) or the URL the metadata is refreshed from.
    metadata_source = models.CharField(_("metadata source"), max_length=500, blank=True)
    metadata_url = models.URLField(_("metadata URL"), max_length=500, blank=True)
    metadata_cert = models.TextField(
        _("metadata signing certificate"), blank=True,
        help_text=_("PEM certificate: when set, the metadata must be signed with it."))
    metadata_updated_at = models.DateTimeField(_("metadata updated at"), default=timezone.now)
    metadata_error = models.CharField(_("last refresh error"), max_length=500, blank=True)
    supports_logout = models.BooleanField(_("single logout"), default=False, editable=False)
    academies = models.ManyToManyField(Academy, related_name="identity_providers",
                                       verbose_name=_("académies served"), blank=True)
    # Académie portals: which attribute names the person, and what it is matched with.
    identity_attribute = models.CharField(
        _("identity attribute"), max_length=100, default="ctemail",
        help_text=_("Académie portals: the SAML attribute that names the person (mail, "
                    "ctemail, or an attribute holding the feed's identifier)."))
    identity_match = models.CharField(_("matched with"), max_length=12,
                                      choices=StaffMatch.choices, default=StaffMatch.EMAIL)
    allow_pupils = models.BooleanField(
        _("pupils may log in"), default=False,
        help_text=_("EduConnect: pupils (eleve1d, eleve2d) may log in too, not only parents."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name


class FederatedIdentity(models.Model):
    """An account that logged in through an IdP: first and last login, and the IdP's stable
    id of the person (EduConnect's FrEduCtId, or the portal's identity attribute)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="federated_identities")
    idp = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="links")
    subject = models.CharField(_("stable id"), max_length=256, blank=True)
    first_login_at = models.DateTimeField(_("first login"), default=timezone.now)
    last_login_at = models.DateTimeField(_("last login"), default=timezone.now)

    class Meta:
        verbose_name = _("federated identity")
        verbose_name_plural = _("federated identities")
        constraints = [models.UniqueConstraint(fields=["user", "idp"],
                                               name="federated_identity_once_per_idp")]
        indexes = [models.Index(fields=["idp", "subject"])]


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Logged in")
    CHOICE = "choice", _("Several accounts: choice offered")
    NO_MATCH = "no_match", _("No matching account")
    UNKNOWN_ACADEMY = "unknown_academy", _("Unknown académie code")
    AFFILIATION_MISMATCH = "affiliation", _("Affiliation contradicts the profile")
    PROFILE_REFUSED = "profile", _("Profile not allowed through this IdP")
    ACCOUNT_REFUSED = "account_refused", _("Blocked or deleted account")
    INVALID_RESPONSE = "invalid", _("Response refused (signature, replay, audience…)")


REFUSED_OUTCOMES = (Outcome.NO_MATCH, Outcome.UNKNOWN_ACADEMY, Outcome.AFFILIATION_MISMATCH,
                    Outcome.PROFILE_REFUSED, Outcome.ACCOUNT_REFUSED)


class LoginAttempt(models.Model):
    """One line of the SSO log. Personal data kept minimal: the account when one is known,
    the outcome and a short reason (an exception's name, an académie code), never the
    attributes the IdP sent."""

    at = models.DateTimeField(_("date"), default=timezone.now)
    idp = models.ForeignKey(IdentityProvider, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="attempts", verbose_name=_("identity provider"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("account"))
    accounts = models.PositiveSmallIntegerField(_("accounts found"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("SSO login attempt")
        indexes = [models.Index(fields=["at", "id"], name="sso_attempt_at"),
                   models.Index(fields=["idp", "at"], name="sso_attempt_idp_at")]
