"""The API's exception handling, in one place (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

A refusal of an action (`preau.lib.errors.Refusal`, whatever its app) answers its `status`
with `{"detail": message}` and the refusal's own figures (`Refusal.details`); everything
else is DRF's usual handling (validation 400, 401, 403, 404…).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from preau.lib.errors import Refusal


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refusal):
        return Response({"detail": str(exc), **exc.details()}, status=exc.status,
                        headers=exc.headers())
    if isinstance(exc, PermissionDenied) and str(exc):
        # A 403 that says why (`directory.access.ApprovalPending`: the head teacher must
        # approve a teacher's own class attachment first), instead of DRF's generic one.
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)
