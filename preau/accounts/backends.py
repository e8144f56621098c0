"""Local password login. Federated accounts (SSO only) and blocked accounts are refused."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class LocalPasswordBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        return bool(user.is_active and not user.federated)
