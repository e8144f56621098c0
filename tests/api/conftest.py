from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from preau.accounts.models import User


@pytest.fixture
def api_for(db) -> Callable[[User | None], APIClient]:
    """A DRF test client with a session for `user` (anonymous for None); JSON bodies."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        client.default_format = "json"
        if user is not None:
            client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
        return client

    return make
