"""Login throttling beyond one login from one address (issue 11, "Accounts", third finding):
per login across addresses, per address across logins (password spraying), the client's
address taken behind trusted reverse proxies, and known devices spared the wide counters so
that nobody locks someone else out for long."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from preau.lib.addresses import client_address, parse_networks
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
ATTACKER = "203.0.113.66"


def _client(address: str, **extra: str) -> Client:
    return Client(REMOTE_ADDR=address, **extra)


def _login(client: Client, login: str, password: str) -> int:
    return client.post(LOGIN_URL, {"username": login, "password": password}).status_code


def _spray(count: int, address: str = ATTACKER) -> list[int]:
    """One wrong password on `count` different logins from one address (a new client each
    time, as a script without cookies)."""
    return [_login(_client(address), f"eleve.{number}", "Azerty123!")
            for number in range(count)]


# Password spraying: one address, many logins ---------------------------------------------


def test_spraying_forty_accounts_from_one_address_is_stopped(personas, settings):
    assert settings.PREAU_LOGIN_ADDRESS_FAILURE_LIMIT == 30
    outcomes = _spray(40)
    assert outcomes[:29] == [200] * 29  # wrong password, the form again
    assert outcomes[29:] == [429] * 11  # the 30th failure reaches the limit
    # Even a right password is refused from that address now, for any login...
    assert _login(_client(ATTACKER), personas.teacher.login, PASSWORD) == 429
    # ...but not from another address.
    assert _login(_client("198.51.100.20"), personas.teacher.login, PASSWORD) == 302


def test_the_address_lock_names_the_network_and_the_wait(personas):
    _spray(30)
    response = _client(ATTACKER).post(LOGIN_URL, {"username": personas.teacher.login,
                                                  "password": PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert "depuis votre réseau" in page and "15 minutes" in page


def test_a_known_device_still_logs_in_from_a_locked_address(personas):
    """A pupil who logged in before on this school computer is not locked out by someone
    else's spraying from the school's address."""
    school_computer = _client(ATTACKER)
    assert _login(school_computer, personas.pupil.login, PASSWORD) == 302
    school_computer.post(reverse("accounts:logout"))
    _spray(35)
    assert _login(school_computer, personas.pupil.login, PASSWORD) == 302
    school_computer.post(reverse("accounts:logout"))
    # The device is known for her login only.
    assert _login(school_computer, personas.teacher.login, PASSWORD) == 429


def test_a_success_does_not_clear_the_address_counter(personas):
    """An attacker with an account of her own cannot reset the spraying counter."""
    _spray(29)
    assert _login(_client(ATTACKER), personas.other_pupil.login, PASSWORD) == 302
    assert _login(_client(ATTACKER), "eleve.999", "Azerty123!") == 429


def test_wrong_activation_codes_count_for_the_address_too(personas):
    for number in range(30):
        _client(ATTACKER).post(reverse("accounts:activate"),
                               {"login": f"eleve.{number}", "code": "ABCDEFGH"})
    assert _login(_client(ATTACKER), personas.teacher.login, PASSWORD) == 429


# One login, many addresses ----------------------------------------------------------------


def test_guessing_one_login_from_many_addresses_is_stopped(personas, settings):
    assert settings.PREAU_LOGIN_ACCOUNT_FAILURE_LIMIT == 20
    outcomes = [_login(_client(f"198.51.100.{1 + number // 4}"), personas.teacher.login,
                       "Wrong-pass-123") for number in range(20)]
    assert outcomes[:19] == [200] * 19 and outcomes[19] == 429
    # From a sixth address, even the right password is refused...
    response = _client("198.51.100.77").post(LOGIN_URL, {"username": personas.teacher.login,
                                                         "password": PASSWORD})
    assert response.status_code == 429
    assert "depuis plusieurs endroits" in response.content.decode()
    # ...other logins are not concerned.
    assert _login(_client("198.51.100.77"), personas.colleague.login, PASSWORD) == 302


def test_the_owner_still_logs_in_from_her_own_browser(personas):
    laptop = _client("192.0.2.50")
    assert _login(laptop, personas.teacher.login, PASSWORD) == 302
    laptop.post(reverse("accounts:logout"))
    for number in range(24):
        _login(_client(f"198.51.100.{1 + number // 4}"), personas.teacher.login, "Wrong-1a!")
    assert _login(laptop, personas.teacher.login, PASSWORD) == 302


def test_a_forged_device_cookie_is_ignored(personas):
    for number in range(20):
        _login(_client(f"198.51.100.{1 + number // 4}"), personas.teacher.login, "Wrong-1a!")
    forged = _client("192.0.2.51")
    forged.cookies["preau_device"] = "not-a-signed-value"
    assert _login(forged, personas.teacher.login, PASSWORD) == 429


# How long a lock lasts ---------------------------------------------------------------------


def test_the_lock_ends_with_the_window_however_much_the_attacker_insists(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(20):
            _login(_client(f"198.51.100.{1 + number // 4}"), personas.teacher.login, "Wrong-1a!")
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        for _attempt in range(10):  # refused, and not counted
            assert _login(_client("198.51.100.9"), personas.teacher.login, "Wrong-1a!") == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert _login(_client("198.51.100.9"), personas.teacher.login, PASSWORD) == 302


def test_one_login_from_one_address_still_locks_at_five(personas):
    outcomes = [_login(_client("192.0.2.60"), personas.pupil.login, "Wrong-1a!")
                for _attempt in range(5)]
    assert outcomes == [200, 200, 200, 200, 429]


def test_a_limit_of_zero_turns_a_counter_off(personas, settings):
    settings.PREAU_LOGIN_ADDRESS_FAILURE_LIMIT = 0
    assert _spray(40) == [200] * 40


# Behind a reverse proxy --------------------------------------------------------------------

PROXY = "10.0.0.2"


def _behind_proxy(client_address_: str, forwarded: str = "") -> Client:
    header = f"{forwarded}, {client_address_}" if forwarded else client_address_
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def test_behind_the_proxy_one_attacker_does_not_lock_everyone(personas, settings):
    settings.PREAU_TRUSTED_PROXIES = parse_networks("test", ["10.0.0.0/8"])
    for _attempt in range(5):
        _login(_behind_proxy(ATTACKER), personas.pupil.login, "Wrong-1a!")
    assert _login(_behind_proxy(ATTACKER), personas.pupil.login, PASSWORD) == 429
    assert _login(_behind_proxy("198.51.100.30"), personas.pupil.login, PASSWORD) == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_the_proxy_a_forged_forwarded_for_changes_nothing(personas, settings):
    """The attacker's own X-Forwarded-For entries come before the proxy's: ignored."""
    settings.PREAU_TRUSTED_PROXIES = parse_networks("test", ["10.0.0.0/8"])
    for number in range(30):
        client = _behind_proxy(ATTACKER, forwarded=f"192.0.2.{number}")
        _login(client, f"eleve.{number}", "Azerty123!")
    assert _login(_behind_proxy(ATTACKER, "192.0.2.200"), personas.teacher.login,
                  PASSWORD) == 429


def test_without_trusted_proxies_the_header_is_ignored(personas, settings):
    settings.PREAU_TRUSTED_PROXIES = ()
    for number in range(30):
        _login(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}"),
               f"eleve.{number}", "Azerty123!")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize(("meta", "expected"), [
    ({"REMOTE_ADDR": "198.51.100.1"}, "198.51.100.1"),
    ({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "198.51.100.1"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"},
     "203.0.113.9"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.7"},
     "203.0.113.9"),  # two proxies
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "10.0.0.9, 10.0.0.7"}, "10.0.0.9"),
    ({"REMOTE_ADDR": "10.0.0.2"}, "10.0.0.2"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9:5123"}, "203.0.113.9"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "[2001:db8::5]:443"}, "2001:db8::5"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, nonsense"}, "10.0.0.2"),
    ({"REMOTE_ADDR": "::ffff:10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
     "203.0.113.9"),
    ({"REMOTE_ADDR": ""}, None),
])
def test_client_address(meta, expected):
    trusted = parse_networks("test", ["10.0.0.0/8"])
    assert client_address(meta, trusted) == expected


def test_a_bad_trusted_proxy_fails_loudly():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="PREAU_TRUSTED_PROXIES"):
        parse_networks("PREAU_TRUSTED_PROXIES", ["10.0.0.0/8", "proxy.local"])


def test_existing_and_unknown_logins_count_alike(personas):
    """Spraying real logins or made-up ones is stopped the same way (no oracle either)."""
    real = [user.login for user in personas.all_users().values()]
    logins = real + [f"personne.inconnue{number}" for number in range(30 - len(real))]
    outcomes = [_login(_client(ATTACKER), login, "Azerty123!") for login in logins]
    assert outcomes[:29] == [200] * 29 and outcomes[29] == 429
