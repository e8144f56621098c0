"""The sessions opened by a federated login (SAML).

It authenticates nobody by itself: the assertion consumer (`preau.sso.views`) logs in the
account the matching found, with this backend, so the session keeps working for a
federated account that `LocalPasswordBackend` refuses.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class FederatedBackend(ModelBackend):
    def authenticate(self, request: Any, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        return bool(user.is_active)
