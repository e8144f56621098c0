"""The user account: one row per person, whatever their profile, kept across school years."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from preau.lib.text import search_key


class Profile(models.TextChoices):
    TEACHER = "Teacher", _("Teacher")
    PERSONNEL = "Personnel", _("Staff")
    STUDENT = "Student", _("Pupil")
    RELATIVE = "Relative", _("Parent")
    GUEST = "Guest", _("Guest")


class Source(models.TextChoices):
    """What created the account (and, for feeds, which feed owns its life cycle)."""

    AAF1D = "AAF1D", _("AAF1D feed")
    AAF = "AAF", _("AAF feed")
    ONDE = "ONDE", _("ONDE CSV extraction")
    CSV = "CSV", _("Manual CSV import")
    MANUAL = "MANUAL", _("Created by an administrator")
    SSO = "SSO", _("Single sign-on")


FEED_SOURCES = (Source.AAF1D, Source.AAF, Source.ONDE)


class State(models.TextChoices):
    PENDING = "pending", _("Waiting for activation")
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
    MISSING = "missing", _("Missing from the feed")
    PREDELETED = "predeleted", _("Pre-deleted")
    DELETED = "deleted", _("Deleted")


LOGIN_STATES = (State.PENDING, State.ACTIVE, State.MISSING, State.PREDELETED)
# Adults who may hold personal API tokens without an administrator's permission.
TOKEN_PROFILES = (Profile.TEACHER, Profile.PERSONNEL)


class UserQuerySet(models.QuerySet["User"]):
    def alive(self) -> UserQuerySet:
        """Accounts that exist for the other users (not deleted, not pre-deleted)."""
        return self.exclude(state__in=(State.DELETED, State.PREDELETED))


class UserManager(BaseUserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def alive(self) -> UserQuerySet:
        return self.get_queryset().alive()

    def create_user(self, login: str, password: str | None = None, **fields: object) -> User:
        user = self.model(login=login, **fields)
        if password:
            user.set_password(password)
            user.state = State.ACTIVE
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, login: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_superuser", True)
        fields.setdefault("is_ent_admin", True)
        fields.setdefault("profile", Profile.PERSONNEL)
        fields.setdefault("source", Source.MANUAL)
        return self.create_user(login, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    login = models.CharField(_("login"), max_length=150, unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    display_name = models.CharField(_("display name"), max_length=310, blank=True)
    # Searched with `contains` only (LIKE '%…%'), which no b-tree index serves: none kept.
    name_key = models.CharField(max_length=310, editable=False, default="")
    profile = models.CharField(_("profile"), max_length=16, choices=Profile.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    academic_email = models.EmailField(_("académie e-mail"), blank=True)
    ine = models.CharField(_("INE"), max_length=16, blank=True)

    # Stable identity across school years: the feed's join key, prefixed by the académie.
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    external_prefix = models.CharField(_("académie prefix"), max_length=32, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    feed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.PENDING)
    missing_since = models.DateField(_("missing from the feed since"), null=True, blank=True)
    predeleted_at = models.DateTimeField(_("pre-deleted at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    activation_code = models.CharField(_("activation code"), max_length=8, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    charter_accepted_at = models.DateTimeField(_("charter accepted at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    federated = models.BooleanField(
        _("federated login only"), default=False,
        help_text=_("Logs in through SSO only; the local password is refused."),
    )

    # Changed when a password is reset or changed and when the account is blocked: every
    # session opened before then stops working (see get_session_auth_hash).
    session_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    api_tokens_allowed = models.BooleanField(
        _("may hold API tokens"), default=False,
        help_text=_("Pupils, parents and guests hold personal API tokens only when an ENT "
                    "administrator allows it."),
    )

    is_ent_admin = models.BooleanField(_("ENT administrator"), default=False)
    is_superuser = models.BooleanField(_("Django admin access"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "login"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_prefix", "external_id"],
                condition=~Q(external_id=""),
                name="user_unique_external_identity",
            )
        ]
        indexes = [
            models.Index(fields=["profile", "state"]),
            models.Index(fields=["ine"]),
            models.Index(fields=["academic_email"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = search_key(f"{self.last_name} {self.first_name} {self.login}")
        if not self.display_name:
            self.display_name = f"{self.first_name} {self.last_name}".strip()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        return self.display_name or f"{self.first_name} {self.last_name}".strip() or self.login

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """May log in: blocked and deleted accounts may not; pre-deleted ones still may."""
        return self.state in LOGIN_STATES

    @property
    def is_staff(self) -> bool:
        """Access to Django's own admin site (operators only)."""
        return self.is_superuser

    @property
    def is_blocked(self) -> bool:
        return self.state == State.BLOCKED

    @property
    def may_hold_api_tokens(self) -> bool:
        """Teachers, staff and ENT admins; anyone else only with an ENT admin's permission."""
        return (self.profile in TOKEN_PROFILES or self.is_ent_admin
                or self.api_tokens_allowed)

    def rotate_session_salt(self) -> None:
        """Ends every session opened so far (the caller saves the account; the view that
        keeps its own session calls `update_session_auth_hash` afterwards)."""
        self.session_salt = secrets.token_hex(16)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, with the session salt once there is one.

        A session stores this hash at login and is refused once it differs. Django's own
        value is kept while the salt is empty, so sessions opened before the salt existed
        stay valid until the first reset, block or change of password.
        """
        if not self.session_salt:
            return super()._get_session_auth_hash(secret)  # type: ignore[misc]
        return salted_hmac("preau.accounts.User.session", f"{self.password}${self.session_salt}",
                           secret=secret, algorithm="sha256").hexdigest()


class UserEvent(models.Model):
    """One line of a user's history, readable by administrators."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Account created")
        ACTIVATED = "activated", _("Account activated")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        BLOCKED = "blocked", _("Blocked")
        UNBLOCKED = "unblocked", _("Unblocked")
        ATTACHED = "attached", _("Attached")
        DETACHED = "detached", _("Detached")
        UPDATED = "updated", _("Updated")
        STATE = "state", _("State changed")
        TOKEN = "token", _("API token")
        ATTACHMENT_APPROVED = "attachment_approved", _("Class attachment approved")
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor set up")
        SECOND_FACTOR_LOCKED = "second_factor_locked", _("Second factor locked (wrong codes)")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Recovery codes renewed")
        SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
        SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
        FEDERATED = "federated", _("Switched to single sign-on")
        SSO_LOGIN = "sso_login", _("Single sign-on login")
        SSO_REFUSED = "sso_refused", _("Single sign-on refused")

    # One index serves a user's history in order (and the deletion of their events); the
    # actor's only where set: a feed writes one event per new account, without actor.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="events",
                             db_index=False)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", db_index=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    message = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "at", "id"], name="userevent_history"),
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False),
                         name="userevent_actor"),
        ]


class SecondFactorGuard(models.Model):
    """Wrong codes typed at an account's second step, counted for the account whatever the
    address (the person typing them already has the password), and the lock they lead to.
    One row per account that ever reached the second step."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True,
                                related_name="second_factor_guard")
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords, to refuse re-use."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class PersonalToken(models.Model):
    """A personal API token for scripts. Only a hash of the key is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


def get_user_model_label() -> str:
    return settings.AUTH_USER_MODEL
