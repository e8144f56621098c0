"""Writes on accounts. `do_*` change state and record a UserEvent; views call these only."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from preau.accounts.models import PasswordHistory, Profile, Source, State, User, UserEvent
from preau.accounts.tokens import do_create_token, do_revoke_all_tokens
from preau.lib.errors import Refusal
from preau.lib.text import clean_line, login_part

# 8 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
ACTIVATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
ACTIVATION_CODE_LENGTH = 8


class AccountError(Refusal):
    """A refused account operation; the message is for the user (translated).

    `counts_as_failure` marks a guess that brute-force protection must count (a wrong
    activation code), as opposed to a refusal that proves the person holds the secret.
    """

    def __init__(self, message: str, *, counts_as_failure: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.counts_as_failure = counts_as_failure


def blocked_message() -> str:
    return _("Your account is blocked. Contact your school's head teacher or your "
             "circonscription's eRun.")


def federated_message() -> str:
    return _("This account does not use an ENT password: teachers and staff log in with "
             "their académie login, parents and pupils with EduConnect.")


def new_activation_code() -> str:
    return "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH))


def login_base(first_name: str, last_name: str) -> str:
    """The un-numbered login of a name: `prenom.nom`."""
    return (".".join(p for p in (login_part(first_name), login_part(last_name)) if p)
            or "user")[:140]


def generate_login(first_name: str, last_name: str, taken: set[str] | None = None,
                   last_numbers: dict[str, int] | None = None) -> str:
    """`prenom.nom`, accents and punctuation stripped, numbered on collision (jean.dupont2).

    `taken` lets bulk callers (feeds, demo) reserve logins without a query per user. With
    `taken`, `last_numbers` (base -> number last handed out) lets the next call for the same
    base start there: `taken` only grows, so every lower number is still taken, and the
    login is the same as a scan from 1 — without rescanning hundreds of numbers for each
    new "emma.martin" of an académie.
    """
    base = login_base(first_name, last_name)
    existing = taken if taken is not None else set(
        User.objects.filter(login__startswith=base).values_list("login", flat=True)
    )
    number = last_numbers.get(base, 1) if last_numbers is not None else 1
    candidate = base if number == 1 else f"{base}{number}"
    while candidate in existing:
        number += 1
        candidate = f"{base}{number}"
    if taken is not None:
        taken.add(candidate)
        if last_numbers is not None:
            last_numbers[base] = number
    return candidate


def record_event(user: User, kind: str, actor: User | None = None, message: str = "",
                 **details: Any) -> UserEvent:
    return UserEvent.objects.create(user=user, kind=kind, actor=actor, message=message,
                                    details=details)


@transaction.atomic
def do_create_user(*, first_name: str, last_name: str, profile: str,
                   source: str = Source.MANUAL, actor: User | None = None,
                   **fields: Any) -> User:
    """A new account waiting for activation, with a generated login and activation code."""
    if profile not in Profile.values:
        raise ValueError(f"unknown profile {profile!r}")
    first_name, last_name = clean_line(first_name), clean_line(last_name)
    login = fields.pop("login", None) or generate_login(first_name, last_name)
    user = User(login=login, first_name=first_name, last_name=last_name,
                profile=profile, source=source, state=State.PENDING,
                activation_code=new_activation_code(), **fields)
    user.set_unusable_password()
    user.save()
    record_event(user, UserEvent.Kind.CREATED, actor, source=source)
    return user


@transaction.atomic
def do_change_login(user: User, login: str, actor: User | None = None) -> None:
    """Gives an account another login (the old one stays in its history); the demo gives
    its fed personas their fixed logins this way."""
    login = login.strip()
    if not login:
        raise AccountError(_("Give a login."))
    if login == user.login:
        return
    if User.objects.filter(login=login).exclude(pk=user.pk).exists():
        raise AccountError(_("This login is already taken."))
    old = user.login
    user.login = login
    user.save(update_fields=["login", "name_key"])  # save() recomputes name_key
    record_event(user, UserEvent.Kind.UPDATED, actor, login=[old, login])


def _store_password(user: User, raw_password: str) -> None:
    user.set_password(raw_password)
    user.password_changed_at = timezone.now()
    PasswordHistory.objects.create(user=user, password=user.password)


def _cut_off(user: User, actor: User | None, reason: str) -> None:
    """Ends every session of `user` opened so far and revokes their API tokens: after a
    reset, a change of password or a block, whoever held the old secret (or a session
    opened with it, or a token made in it) is out. The caller saves `user`; a view that
    keeps its own session then calls `update_session_auth_hash`."""
    user.rotate_session_salt()
    do_revoke_all_tokens(user, actor, reason)


@transaction.atomic
def do_activate(user: User, raw_password: str) -> None:
    """The user exchanged their activation code for a password and accepted the charter."""
    now = timezone.now()
    _store_password(user, raw_password)
    _cut_off(user, user, "activation")
    user.activation_code = ""
    user.activated_at = now
    user.charter_accepted_at = now
    if user.state == State.PENDING:
        user.state = State.ACTIVE
    user.save()
    record_event(user, UserEvent.Kind.ACTIVATED, user)


@transaction.atomic
def do_change_password(user: User, raw_password: str) -> None:
    """The user's own change: their other sessions end and their tokens are revoked (the
    view keeps the session that made the change)."""
    _store_password(user, raw_password)
    _cut_off(user, user, "password changed")
    user.save()
    record_event(user, UserEvent.Kind.PASSWORD_CHANGED, user)


@transaction.atomic
def do_reset_password(user: User, actor: User) -> str:
    """Back to 'waiting for activation' with a new code, which the caller shows to the actor.

    Every session and API token of the account ends; a pupil's parents (legal and foster)
    are told in the Messagerie, and the reset is in the pupil's history.
    """
    user.set_unusable_password()
    user.activation_code = new_activation_code()
    if user.state == State.ACTIVE:
        user.state = State.PENDING
    _cut_off(user, actor, "password reset")
    user.save()
    event = record_event(user, UserEvent.Kind.PASSWORD_RESET, actor)
    if user.profile == Profile.STUDENT:
        _tell_parents_of_reset(user, actor, event.at)
    return user.activation_code


def _tell_parents_of_reset(pupil: User, actor: User, at: Any) -> None:
    """An automatic notice to the pupil's parents and foster families, in French: who reset
    the password and when, and what to do if they did not expect it."""
    from preau.directory.models import RelativeLink  # the directory app imports this one
    from preau.messaging.actions import do_deliver_notice  # idem, through its own imports

    parents = list(RelativeLink.objects.filter(student=pupil).exclude(
        relative__state__in=(State.DELETED, State.PREDELETED)).values_list("relative_id",
                                                                          flat=True))
    if not parents:
        return
    local = timezone.localtime(at)
    with translation.override(settings.LANGUAGE_CODE):
        role = _("ENT administrator") if actor.is_ent_admin else actor.get_profile_display()
        subject = _("Password of %(pupil)s reset") % {"pupil": pupil.full_name}
        what = _("The password of %(pupil)s's ENT account (login %(login)s) was reset on "
                 "%(date)s at %(time)s by %(actor)s (%(role)s). The previous password no "
                 "longer works: a new one will be chosen with the activation code handed "
                 "out for it.") % {
            "pupil": pupil.full_name, "login": pupil.login,
            "date": date_format(local, "DATE_FORMAT"), "time": time_format(local, "TIME_FORMAT"),
            "actor": actor.full_name, "role": role}
        advice = _("If you did not expect this reset, contact the school's head teacher or "
                   "your circonscription's eRun without delay.")
        do_deliver_notice(parents, subject, format_html("<p>{}</p><p>{}</p>", what, advice))


@transaction.atomic
def do_block(user: User, actor: User, reason: str = "") -> None:
    """A blocked account cannot log in; its sessions end and its tokens are revoked, so
    none comes back to life when it is unblocked."""
    if user.state == State.BLOCKED:
        return
    user.state = State.BLOCKED
    user.blocked_at = timezone.now()
    _cut_off(user, actor, "blocked")
    user.save(update_fields=["state", "blocked_at", "session_salt"])
    record_event(user, UserEvent.Kind.BLOCKED, actor, reason)


@transaction.atomic
def do_unblock(user: User, actor: User) -> None:
    if user.state != State.BLOCKED:
        return
    user.state = State.ACTIVE if user.has_usable_password() else State.PENDING
    user.blocked_at = None
    user.save(update_fields=["state", "blocked_at"])
    record_event(user, UserEvent.Kind.UNBLOCKED, actor)


def check_create_token(user: User, name: str = "", actor: User | None = None) -> str:
    """A personal API token (its key, shown once) for an account that may hold one."""
    if not user.may_hold_api_tokens:
        raise AccountError(_("Personal API tokens are for teachers, staff and "
                             "administrators. Pupils, parents and guests hold one only if an "
                             "ENT administrator allows it."))
    return do_create_token(user, name, actor)


@transaction.atomic
def do_set_api_tokens_allowed(user: User, allowed: bool, actor: User) -> None:
    """An ENT admin's permission for an account outside the adult profiles to hold API
    tokens; withdrawn, the account's tokens are revoked if it may no longer hold any."""
    if user.api_tokens_allowed == allowed:
        return
    user.api_tokens_allowed = allowed
    user.save(update_fields=["api_tokens_allowed"])
    record_event(user, UserEvent.Kind.UPDATED, actor,
                 _("May hold API tokens") if allowed else _("May no longer hold API tokens"),
                 api_tokens_allowed=allowed)
    if not user.may_hold_api_tokens:
        do_revoke_all_tokens(user, actor, "permission withdrawn")


def hashed_demo_password(raw: str) -> str:
    """One Argon2 hash reused by bulk loaders (hashing is deliberately slow)."""
    return make_password(raw)


def normalise_activation_code(code: str) -> str:
    """Codes are printed on paper: forgive spaces and dashes typed around them."""
    return "".join(code.split()).replace("-", "")


def activation_code_digest(code: str) -> str:
    """What the activation flow keeps in the session between its two steps."""
    return hashlib.sha256(code.encode()).hexdigest()


def check_activation_code(login: str, code: str) -> User:
    """The account `login` is waiting for activation with `code`; returns it or refuses.

    A wrong login and a wrong code get the same message, so the page does not tell whether a
    login exists. Blocked and federated accounts are told so only once the code is right.
    """
    code = normalise_activation_code(code)
    user = User.objects.filter(login=login.strip()).first()
    if (user is None or not user.activation_code or len(code) != ACTIVATION_CODE_LENGTH
            or not secrets.compare_digest(user.activation_code, code)):
        raise AccountError(
            _("This login and activation code do not match an account waiting for "
              "activation. Check them on your connection sheet (upper and lower case "
              "letters differ)."),
            counts_as_failure=True,
        )
    if user.federated:
        raise AccountError(federated_message())
    if not user.is_active:
        raise AccountError(blocked_message())
    return user


def check_activation_still_valid(user_id: int, code_digest: str) -> User:
    """Second step of the activation: the code checked in the first step is still the
    account's (it was not reset or used meanwhile)."""
    user = User.objects.filter(pk=user_id).first()
    if (user is None or not user.activation_code or user.federated or not user.is_active
            or not secrets.compare_digest(activation_code_digest(user.activation_code),
                                          code_digest)):
        raise AccountError(_("This activation is no longer valid: start again."))
    return user


def reset_password_refusal(user: User, actor: User) -> str | None:
    """Why `actor` may not reset `user`'s password (rights are checked before), or None."""
    if user.pk == actor.pk:
        return _("You cannot reset your own password here: change it from My account.")
    if user.federated:
        return _("This account logs in with the académie login or EduConnect: it has no "
                 "ENT password to reset.")
    if user.state in (State.DELETED, State.PREDELETED):
        return _("This account has been deleted.")
    return None


def check_reset_password(user: User, actor: User) -> str:
    """Resets `user`'s password for `actor` and returns the new activation code."""
    refusal = reset_password_refusal(user, actor)
    if refusal:
        raise AccountError(refusal)
    return do_reset_password(user, actor)
