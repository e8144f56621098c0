"""Brute-force protection of every secret an account has, through django-axes.

One throttle for the login form (axes' backend runs inside `authenticate`, so the Django
admin's login too), the activation code and the "old password" of a password change (their
wrong guesses are reported here as failed logins of the same login), and any later
password-checking endpoint of the API (it must call `authenticate(request=…)` or
`is_locked_out` / `record_failure`). Axes keeps one row of failures per login, address and
user agent; `PreauAxesHandler` reads three counters from them, each with its limit, over the
same window (PREAU_LOGIN_COOLOFF_MINUTES):

- a login from one address (PREAU_LOGIN_FAILURE_LIMIT): someone guessing one account;
- a login from every address (PREAU_LOGIN_ACCOUNT_FAILURE_LIMIT): the same from many
  addresses;
- an address for every login (PREAU_LOGIN_ADDRESS_FAILURE_LIMIT): password spraying, a
  few common passwords tried on many accounts.

Past a limit, attempts are refused until the failures that reached it are older than the
window; failures made while refused are not counted, so the lock never outlasts the window
by itself. The two wider counters would let an attacker lock out someone else (or a whole
school behind one address): a browser where the account logged in before (a signed
*device cookie*, as OWASP advises) is held by the first counter only.

The client's address is the one `preau.lib.addresses.client_address` finds behind the
reverse proxies listed in PREAU_TRUSTED_PROXIES (REMOTE_ADDR without it), so that one
attacker cannot lock every account out by locking the proxy's own address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac

from preau.lib.addresses import client_address

# Form fields whose values must never reach axes' log of failed attempts.
SECRET_FIELDS = ("password", "code", "old_password", "new_password1", "new_password2")
MASK = "********"

DEVICE_COOKIE = "preau_device"
DEVICE_SALT = "preau.accounts.bruteforce.device"
DEVICE_MAX_AGE = 180 * 24 * 3600  # seconds: a device stays known for about a school year
DEVICE_MAX_LOGINS = 10  # a family tablet, a shared classroom computer


# -- the client's address -----------------------------------------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client behind the trusted proxies."""
    return client_address(request.META, settings.PREAU_TRUSTED_PROXIES)


# -- known devices ------------------------------------------------------------------------


def _login_digest(login: str) -> str:
    """What the cookie keeps of a login: not the login itself (a shared computer's cookie
    must not list its users)."""
    return salted_hmac(DEVICE_SALT, login, algorithm="sha256").hexdigest()[:20]


def _known_digests(request: HttpRequest) -> list[str]:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def is_known_device(request: HttpRequest, login: str | None) -> bool:
    """This browser logged in to `login` before (within DEVICE_MAX_AGE)."""
    return bool(login) and _login_digest(str(login)) in _known_digests(request)


def remember_device(request: HttpRequest, response: HttpResponse, login: str) -> None:
    """After a successful login: this browser is known for `login` (most recent first)."""
    digest = _login_digest(login)
    digests = [digest] + [d for d in _known_digests(request) if d != digest]
    response.set_cookie(
        DEVICE_COOKIE, signing.dumps(digests[:DEVICE_MAX_LOGINS], salt=DEVICE_SALT),
        max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE)


# -- the counters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    name: str  # "login_address", "login" or "address"
    failures: int
    limit: int  # 0 or less: this counter is off

    @property
    def reached(self) -> bool:
        return self.limit > 0 and self.failures >= self.limit

    @property
    def share(self) -> float:
        return self.failures / self.limit if self.limit > 0 else 0.0


def failure_counters(request: Any, credentials: dict[str, Any] | None) -> list[Counter]:
    """The counters that apply to this attempt, from the window's failures (one query)."""
    username = get_client_username(request, credentials)
    address = request.axes_ip_address
    rows = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    pair = Q(username=username, ip_address=address)
    known = is_known_device(request, username)
    wide: list[tuple[str, Q, int]] = []
    if not known and username:
        wide.append(("login", Q(username=username), settings.PREAU_LOGIN_ACCOUNT_FAILURE_LIMIT))
    if not known and address:
        wide.append(("address", Q(ip_address=address),
                     settings.PREAU_LOGIN_ADDRESS_FAILURE_LIMIT))
    scope = pair
    for _name, clause, _limit in wide:
        scope |= clause
    sums = rows.filter(scope).aggregate(
        login_address=Sum("failures_since_start", filter=pair),
        **{name: Sum("failures_since_start", filter=clause) for name, clause, _l in wide})
    counters = [Counter("login_address", sums["login_address"] or 0,
                        settings.PREAU_LOGIN_FAILURE_LIMIT)]
    counters += [Counter(name, sums[name] or 0, limit) for name, _clause, limit in wide]
    return counters


def binding_counter(counters: list[Counter]) -> Counter:
    """The counter that decides: one past its limit, else the nearest to it."""
    reached = [c for c in counters if c.reached]
    return reached[0] if reached else max(counters, key=lambda c: c.share)


class PreauAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with three counters (see the module's docstring).

    Axes compares `get_failures` with AXES_FAILURE_LIMIT (`failure_limit` below): both give
    the numbers of the binding counter, kept on the request between the two calls.
    """

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        counter = binding_counter(failure_counters(request, credentials))
        request.preau_throttle = counter
        return counter.failures if counter.limit > 0 else 0


def failure_limit(request: Any, credentials: dict[str, Any] | None = None) -> int:
    """AXES_FAILURE_LIMIT: the limit of the counter `get_failures` just read."""
    counter = getattr(request, "preau_throttle", None)
    if counter is None or counter.limit <= 0:
        return max(settings.PREAU_LOGIN_FAILURE_LIMIT, 1)
    return int(counter.limit)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the French page saying which limit was reached, for how long."""
    counter = getattr(request, "preau_throttle", None)
    return render(request, "accounts/locked_out.html", {
        "counter": counter.name if counter else "login_address",
        "failure_limit": failure_limit(request, credentials),
        "cooloff_timedelta": get_cool_off(request),
    }, status=429)


# -- the other secrets: activation codes, old passwords ---------------------------------------


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
