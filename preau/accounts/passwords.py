"""Password storage and rules beyond Django's: Argon2id with OWASP's parameters, character
classes, no re-use of recent passwords."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class PreauArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the OWASP Password Storage Cheat Sheet's recommended minimum: 19 MiB of
    memory, 2 iterations, 1 degree of parallelism.

    Django's defaults (100 MiB, 2 passes, 8 lanes) cost 110-215 ms of two cores per verify,
    so a rentrée morning's logins queue behind the hashing. These parameters meet OWASP's
    minimum for Argon2id at a fraction of the cost (docs/benchmarks.md). The algorithm name
    stays "argon2": hashes made with other parameters are verified as before and rewritten
    with these at the next successful login (`must_update`, Django's setter).
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


class CharacterClassValidator:
    """At least three of: lower case, upper case, digit, other character."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = sum([
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ])
        if classes < 3:
            raise ValidationError(
                _("Your password must mix at least three of: lower-case letters, upper-case "
                  "letters, digits, other characters."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Mix at least three of: lower-case letters, upper-case letters, digits, "
                 "other characters.")


class HistoryValidator:
    """Refuses any of the user's last `depth` passwords."""

    def __init__(self, depth: int = 5) -> None:
        self.depth = depth

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        for old in user.password_history.all()[: self.depth]:
            if check_password(password, old.password):
                raise ValidationError(
                    _("You used this password recently: choose another one."),
                    code="password_reused",
                )

    def get_help_text(self) -> str:
        return _("You cannot reuse one of your last %(depth)d passwords.") % {"depth": self.depth}
