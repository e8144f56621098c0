"""`preau token create|revoke|list`: personal API tokens, managed by an operator.

`create` prints the key alone on stdout, so a script can capture it; the key is shown
this once and only its hash is kept. Pupils, parents and guests get one only once an ENT
admin allowed it (console, account page).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.accounts.actions import AccountError, check_create_token
from preau.accounts.models import PersonalToken, State, User
from preau.accounts.tokens import do_revoke_token


class Command(BaseCommand):
    help = "Create, revoke or list personal API tokens (Authorization: Token <key>)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="Create a token for LOGIN; prints the key.")
        create.add_argument("login")
        create.add_argument("--name", default="", help="What the token is for.")
        revoke = actions.add_parser("revoke", help="Revoke the token whose key starts with "
                                                   "PREFIX (8 characters, see list).")
        revoke.add_argument("prefix")
        listing = actions.add_parser("list", help="List the tokens of LOGIN.")
        listing.add_argument("login")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create(options["login"], options["name"])
        elif action == "revoke":
            self.revoke(options["prefix"])
        else:
            self.list_tokens(options["login"])

    def _user(self, login: str) -> User:
        user = User.objects.filter(login=login).first()
        if user is None:
            raise CommandError(f"No account with login {login!r}.")
        return user

    def create(self, login: str, name: str) -> None:
        user = self._user(login)
        if user.state in (State.DELETED, State.PREDELETED):
            raise CommandError(f"The account {login!r} is {user.state}: no token.")
        if not user.is_active:
            self.stderr.write(f"Warning: {login!r} cannot log in ({user.state}); the token "
                              "will be refused until the account is unblocked.")
        try:
            key = check_create_token(user, name=name)
        except AccountError as refused:
            raise CommandError(f"{login!r}: {refused.message}") from None
        self.stdout.write(key)

    def revoke(self, prefix: str) -> None:
        tokens = list(PersonalToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
                      .select_related("user")[:2])
        if not tokens:
            raise CommandError(f"No active token starts with {prefix!r}.")
        if len(tokens) > 1:
            raise CommandError(f"Several active tokens start with {prefix!r}; revoke them "
                               "from the Django admin.")
        token = tokens[0]
        # The operator has no account of their own here: the event names the owner as actor.
        do_revoke_token(token, actor=token.user)
        self.stdout.write(f"Revoked {token.prefix}… of {token.user.login}.")

    def list_tokens(self, login: str) -> None:
        user = self._user(login)
        for token in PersonalToken.objects.filter(user=user).order_by("-created_at", "-id"):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(f"{token.prefix}…  {state:<18} created "
                              f"{token.created_at:%Y-%m-%d}  last used {used}  {token.name}")
