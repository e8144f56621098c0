"""Administrators' second factor: a TOTP app (django-otp) and ten single-use recovery codes.

Who: `needs_second_factor(user)`, the one test, used by the middleware, the views and the
console: with PREAU_ADMIN_SECOND_FACTOR on, every account that administers something
(`directory.access.administers_something`) and logs in with a local password (federated
accounts log in through their identity provider, which has its own factors).

The session: the password step logs in as usual, then `SecondFactorMiddleware` lets the
session reach nothing but the second step until it is verified (django-otp's session key,
`django_otp.DEVICE_ID_SESSION_KEY`, naming the device that verified it): an account without
a device enrols (QR code, a first code, then its recovery codes shown once), an account with
one types a code from the app or a recovery code.

Wrong codes are counted per account (`SecondFactorGuard`), whatever the address: whoever
types them already has the password. At PREAU_SECOND_FACTOR_FAILURE_LIMIT the second step is
locked for PREAU_LOGIN_COOLOFF_MINUTES, written in the account's history and told to its
owner (their password is known to someone). django-otp refuses a TOTP step already used.
"""

from __future__ import annotations

import math
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from preau.accounts.models import SecondFactorGuard, User, UserEvent
from preau.lib.errors import Refusal

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
DEVICE_NAME = "Préau"


class SecondFactorError(Refusal):
    """A refused code or operation of the second factor; the message is for the user."""


class SecondFactorLocked(SecondFactorError):
    """Too many wrong codes: the second step waits until `until`."""

    status = 429

    def __init__(self, until: datetime) -> None:
        local = timezone.localtime(until)
        super().__init__(_("Too many wrong codes: the second step of your login is locked "
                           "until %(time)s. Try again then, or ask an ENT administrator.")
                         % {"time": time_format(local, "TIME_FORMAT")})
        self.until = until

    def headers(self) -> dict[str, str]:
        seconds = max(1, math.ceil((self.until - timezone.now()).total_seconds()))
        return {"Retry-After": str(seconds)}


# -- who, and the session ------------------------------------------------------------------


def needs_second_factor(user: Any) -> bool:
    """The account must pass a second factor before its session is logged in: the setting
    is on, the account logs in with a local password and administers something."""
    if not settings.PREAU_ADMIN_SECOND_FACTOR or not getattr(user, "is_authenticated", False):
        return False
    if user.federated or not user.is_active:
        return False
    # Kept on the account's object for the request (the middleware asks, then the page's
    # account tab): one query at most per request.
    known = getattr(user, "_administers_something", None)
    if known is None:
        from preau.directory.access import administers_something  # directory imports this

        known = administers_something(user)
        user._administers_something = known
    return bool(known)


def verified_device(request: HttpRequest) -> Device | None:
    """The device that verified this session, if it is still one of the user's (a device
    removed or reset meanwhile no longer verifies anything). One query, none without."""
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(str(persistent_id))
    if device is None or device.user_id != request.user.pk or not device.confirmed:
        return None
    return device


def mark_verified(request: HttpRequest, device: Device) -> None:
    """The session passed the second factor: a new session key (what an onlooker saw of
    the half-logged-in session is worth nothing), then django-otp's mark."""
    request.session.cycle_key()
    otp_login(request, device)


# -- the account's devices -----------------------------------------------------------------


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@dataclass(frozen=True)
class SecondFactorState:
    """What the account's page and the console show."""

    device: TOTPDevice | None
    recovery_codes_left: int
    locked_until: datetime | None

    @property
    def enrolled(self) -> bool:
        return self.device is not None


def second_factor_state(user: User) -> SecondFactorState:
    device = totp_device(user)
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    guard = SecondFactorGuard.objects.filter(user=user).first()
    locked = guard.locked_until if guard and guard.locked_until and \
        guard.locked_until > timezone.now() else None
    return SecondFactorState(device=device, recovery_codes_left=left, locked_until=locked)


@dataclass(frozen=True)
class Enrolment:
    """A key waiting for its first code: what the enrolment page shows."""

    device: TOTPDevice

    @property
    def key(self) -> str:
        """The key in base32, by groups of four, for typing into an app by hand."""
        raw = b32encode(self.device.bin_key).decode().rstrip("=")
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))

    @property
    def qr_data_uri(self) -> str:
        """The otpauth:// URL as an SVG QR code in a data: URI (the CSP allows data: images;
        nothing inline)."""
        return str(segno.make(self.device.config_url, error="m").svg_data_uri(
            scale=5, border=2))


def start_enrolment(user: User) -> Enrolment:
    """The account's unconfirmed key (made once, so a reload shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False,
                                           digits=TOTP_DIGITS)
    return Enrolment(device)


# -- codes ---------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Forgive spaces and dashes typed around a code, and the case of a recovery code."""
    return "".join(code.split()).replace("-", "").lower()


def is_totp_shaped(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isdigit()


def format_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def _new_recovery_codes(user: User) -> list[str]:
    """Replaces the account's recovery codes with RECOVERY_CODE_COUNT new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    tokens: set[str] = set()
    while len(tokens) < RECOVERY_CODE_COUNT:
        tokens.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in tokens])
    return sorted(format_recovery_code(t) for t in tokens)


def _wrong_code_message() -> str:
    return _("This code is not right, or it was already used. Type the 6 digits your app "
             "shows now, or one of your recovery codes.")


@transaction.atomic
def _verify(user: User, code: str, *, recovery_allowed: bool) -> tuple[Device | None, bool]:
    """Checks `code` under the account's guard. Returns (the device that accepted it or
    None, whether this failure locked the second step). Raises `SecondFactorLocked` while
    locked. Rows are locked for the check, so one code cannot pass twice concurrently."""
    now = timezone.now()
    guard, _created = SecondFactorGuard.objects.select_for_update().get_or_create(user=user)
    if guard.locked_until and guard.locked_until > now:
        raise SecondFactorLocked(guard.locked_until)
    code = normalise_code(code)
    device: Device | None = None
    if is_totp_shaped(code):
        totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if totp is not None and totp.verify_token(code):
            device = totp
    elif recovery_allowed and code:
        static = StaticDevice.objects.select_for_update().filter(user=user,
                                                                 confirmed=True).first()
        if static is not None and static.verify_token(code):
            device = static
    if device is not None:
        if guard.failures or guard.locked_until:
            guard.failures, guard.first_failure_at, guard.locked_until = 0, None, None
            guard.save()
        return device, False
    window = timedelta(minutes=settings.AXES_COOLOFF_TIME * 60)
    if guard.first_failure_at is None or guard.first_failure_at < now - window:
        guard.failures, guard.first_failure_at = 0, now
    guard.failures += 1
    locked = guard.failures >= settings.PREAU_SECOND_FACTOR_FAILURE_LIMIT
    if locked:
        guard.locked_until = now + window
        UserEvent.objects.create(
            user=user, actor=None, kind=UserEvent.Kind.SECOND_FACTOR_LOCKED,
            message=f"{guard.failures} wrong codes; locked until {guard.locked_until:%H:%M} "
                    "UTC", details={"failures": guard.failures,
                                    "until": guard.locked_until.isoformat()})
        guard.failures, guard.first_failure_at = 0, None
        transaction.on_commit(lambda: _tell_owner_of_lock(user))
    guard.save()
    return None, locked


@dataclass(frozen=True)
class Verified:
    device: Device
    recovery_codes_left: int | None  # a recovery code was used: how many are left


def check_second_factor(user: User, code: str) -> Verified:
    """The login's second step: a code of the app, or a recovery code (used up). Returns
    the device that accepted it; refuses a wrong, replayed or locked code."""
    device, locked = _verify(user, code, recovery_allowed=True)
    if device is None:
        if locked:
            guard = SecondFactorGuard.objects.get(user=user)
            assert guard.locked_until is not None
            raise SecondFactorLocked(guard.locked_until)
        raise SecondFactorError(_wrong_code_message())
    left = None
    if isinstance(device, StaticDevice):
        left = StaticToken.objects.filter(device=device).count()
        UserEvent.objects.create(user=user, actor=user,
                                 kind=UserEvent.Kind.RECOVERY_CODE_USED,
                                 message=f"{left} left", details={"left": left})
    return Verified(device, left)


def _check_current_code(user: User, code: str) -> None:
    """A code of the app, for changes made from My account (a recovery code does not do:
    whoever changes the second factor shows they hold it)."""
    device, locked = _verify(user, code, recovery_allowed=False)
    if device is None:
        if locked:
            guard = SecondFactorGuard.objects.get(user=user)
            assert guard.locked_until is not None
            raise SecondFactorLocked(guard.locked_until)
        raise SecondFactorError(_("This code is not right, or it was already used: type the "
                                  "6 digits your app shows now."))


# -- actions ---------------------------------------------------------------------------------


def check_enrol(user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirms the key with a first code from the app; returns the recovery codes, to be
    shown once. The owner is told (someone holding the password could enrol first)."""
    code = normalise_code(code)
    if device.confirmed or device.user_id != user.pk:
        raise SecondFactorError(_("This key is no longer waiting to be set up: start again."))
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise SecondFactorError(_("A second factor is already set up for this account."))
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not is_totp_shaped(code) or not locked.verify_token(code):
            raise SecondFactorError(_("This code does not match: check the time of your "
                                      "phone and type the 6 digits the app shows now."))
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _new_recovery_codes(user)
        UserEvent.objects.create(user=user, actor=user,
                                 kind=UserEvent.Kind.SECOND_FACTOR_ENROLLED)
        transaction.on_commit(lambda: _tell_owner(user, *ENROLLED_NOTICE))
    device.refresh_from_db()
    return codes


@transaction.atomic
def check_renew_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), for a current code of the app."""
    _check_current_code(user, code)
    codes = _new_recovery_codes(user)
    UserEvent.objects.create(user=user, actor=user, kind=UserEvent.Kind.RECOVERY_CODES_RENEWED)
    return codes


def check_remove_second_factor(user: User, code: str) -> None:
    """Removes the app and the recovery codes, for a current code of the app. An account
    that needs a second factor sets up a new one at once (the middleware sends it there)."""
    _check_current_code(user, code)
    with transaction.atomic():
        _delete_devices(user)
        UserEvent.objects.create(user=user, actor=user,
                                 kind=UserEvent.Kind.SECOND_FACTOR_REMOVED)


def _delete_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def reset_second_factor_refusal(person: User, actor: User) -> str | None:
    """Why `actor` (an ENT admin: the console checks it) may not reset `person`'s second
    factor, or None."""
    if person.pk == actor.pk:
        return _("You cannot reset your own second factor here: change it from My account.")
    if person.is_superuser and not actor.is_superuser:
        return _("Only an operator may reset the second factor of an operator.")
    return None


@transaction.atomic
def check_reset_second_factor(person: User, actor: User) -> None:
    """An ENT admin's reset (a lost phone, a locked second step): the app and the recovery
    codes are removed, the lock lifted, the person's sessions end; at the next login they
    set up a new app. Recorded in their history; they are told in the Messagerie and by
    e-mail when they have an address."""
    refusal = reset_second_factor_refusal(person, actor)
    if refusal:
        raise SecondFactorError(refusal)
    state = second_factor_state(person)
    if not state.enrolled and state.locked_until is None \
            and not StaticDevice.objects.filter(user=person).exists():
        raise SecondFactorError(_("This account has no second factor to reset."))
    _delete_devices(person)
    SecondFactorGuard.objects.filter(user=person).delete()
    person.rotate_session_salt()
    person.save(update_fields=["session_salt"])
    UserEvent.objects.create(user=person, actor=actor, kind=UserEvent.Kind.SECOND_FACTOR_RESET)
    name = actor.full_name
    transaction.on_commit(lambda: _tell_owner(person, *RESET_NOTICE, actor=name))


# -- notices -----------------------------------------------------------------------------------

# (subject, text) of what the owner is told: translated when sent, in French first.
ENROLLED_NOTICE = (
    gettext_lazy("A second factor was set up on your account"),
    gettext_lazy("An authenticator app was set up as the second factor of your ENT account "
                 "(login %(login)s) on %(date)s. If it was not you, someone knows your "
                 "password: contact an ENT administrator without delay."))
RESET_NOTICE = (
    gettext_lazy("The second factor of your account was reset"),
    gettext_lazy("The second factor of your ENT account (login %(login)s) was reset on "
                 "%(date)s by %(actor)s (ENT administrator): your sessions were closed, and "
                 "at your next login you will set up your authenticator app again. If you "
                 "did not ask for this, contact an ENT administrator without delay."))
LOCKED_NOTICE = (
    gettext_lazy("Wrong codes at the second step of your login"),
    gettext_lazy("On %(date)s, the password of your ENT account (login %(login)s) was typed, "
                 "then several wrong codes of the second factor: the second step is locked "
                 "for a while. If it was not you, someone knows your password: change it as "
                 "soon as you can and tell an ENT administrator."))


def _tell_owner(user: User, subject: Promise, text: Promise, **values: str) -> None:
    """A notice in the owner's Messagerie, and an e-mail when the account has an address
    (a notice alone would wait for the next login), in French first."""
    from preau.messaging.actions import do_deliver_notice  # messaging imports accounts

    local = timezone.localtime()
    with translation.override(settings.LANGUAGE_CODE):
        subject_text = str(subject)
        body = str(text) % {"login": user.login, "date": local.strftime("%d/%m/%Y %H:%M"),
                            **values}
        do_deliver_notice([user.pk], subject_text, format_html(
            '<p>{}</p><p><a href="{}">{}</a></p>', body, reverse("accounts:second_factor"),
            _("My account: second factor")))
    address = user.academic_email or user.email
    if address:
        send_mail(subject_text, body, None, [address], fail_silently=True)


def _tell_owner_of_lock(user: User) -> None:
    _tell_owner(user, *LOCKED_NOTICE)
