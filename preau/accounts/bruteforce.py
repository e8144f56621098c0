"""Brute-force protection beyond the login form, through django-axes.

The login form is covered by axes itself (its backend runs inside `authenticate`). The
activation code and the "old password" of a password change are secrets too: their wrong
guesses are reported to axes as failed logins for the same login, so one counter (login +
IP address, AXES_FAILURE_LIMIT) covers every way of guessing an account's secrets, and the
AxesMiddleware answers with the lockout page once it is reached.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

# Form fields whose values must never reach axes' log of failed attempts.
SECRET_FIELDS = ("password", "code", "old_password", "new_password1", "new_password2")
MASK = "********"


def _credentials(login: str) -> dict[str, str]:
    return {"username": login}


def is_locked_out(request: HttpRequest, login: str) -> bool:
    """True (and the request flagged for the lockout page) when `login` is locked here."""
    credentials = _credentials(login)
    if AxesProxyHandler.is_allowed(request, credentials):
        return False
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return True


def record_failure(request: HttpRequest, login: str) -> None:
    """Counts one wrong guess for `login` from this client, as a failed login would.

    Axes logs the request's POST data: the secrets are masked first (the bound form keeps
    its own copy of the data).
    """
    masked = request.POST.copy()
    for field in SECRET_FIELDS:
        if field in masked:
            masked[field] = MASK
    request.POST = masked  # type: ignore[assignment,misc]
    user_login_failed.send(sender=__name__, credentials=_credentials(login), request=request)


def is_request_locked_out(request: HttpRequest) -> bool:
    """Axes flagged this request (the limit was just reached or was already reached)."""
    return bool(getattr(request, "axes_locked_out", False))
