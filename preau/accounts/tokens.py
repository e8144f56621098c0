"""Personal API tokens: `Authorization: Token <key>`. Keys are shown once, stored hashed.

Only accounts that may hold tokens have working ones (`User.may_hold_api_tokens`: teachers,
staff, ENT admins, and accounts an ENT admin allows). A password reset, a change of password
and a block revoke every token of the account (`do_revoke_all_tokens`).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from preau.accounts.models import PersonalToken, User, UserEvent


def _new_key() -> str:
    """A random key (256 bits, URL-safe) whose prefix never starts with "-": operators
    type the prefix on the command line (`preau token revoke <prefix>`), where a leading
    dash reads as an option."""
    while (key := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return key


def do_create_token(user: User, name: str = "", actor: User | None = None) -> str:
    """Creates a token and returns its key; only its hash is kept. Callers check first that
    the account may hold one (`accounts.actions.check_create_token`)."""
    key = _new_key()
    PersonalToken.objects.create(user=user, name=name, key_hash=PersonalToken.hash_key(key),
                                 prefix=key[:8])
    UserEvent.objects.create(user=user, actor=actor or user, kind=UserEvent.Kind.TOKEN,
                             message=f"created {key[:8]}…")
    return key


def do_revoke_token(token: PersonalToken, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        UserEvent.objects.create(user=token.user, actor=actor, kind=UserEvent.Kind.TOKEN,
                                 message=f"revoked {token.prefix}…")


@transaction.atomic
def do_revoke_all_tokens(user: User, actor: User | None, reason: str) -> int:
    """Revokes every working token of `user` (one history line naming the `reason`);
    returns how many."""
    prefixes = list(PersonalToken.objects.filter(user=user, revoked_at__isnull=True)
                    .values_list("prefix", flat=True))
    if prefixes:
        PersonalToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        UserEvent.objects.create(
            user=user, actor=actor, kind=UserEvent.Kind.TOKEN,
            message=f"revoked {', '.join(p + '…' for p in prefixes)} ({reason})",
            details={"revoked": prefixes, "reason": reason})
    return len(prefixes)


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[User, PersonalToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        key = parts[1].decode(errors="replace")
        token = (PersonalToken.objects.select_related("user")
                 .filter(key_hash=PersonalToken.hash_key(key), revoked_at__isnull=True).first())
        if (token is None or not token.user.is_active
                or not token.user.may_hold_api_tokens):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
