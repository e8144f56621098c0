"""Administrators' second factor (issue 13): who is asked, enrolment, the login's second
step, throttling and lock, recovery codes, replay, My account, the console's reset, the
half-logged-in session on every kind of request, the setting, the demo and the check."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import checks, mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from preau.accounts.models import Profile, SecondFactorGuard, User, UserEvent
from preau.accounts.second_factor import (
    _new_recovery_codes,
    needs_second_factor,
)
from preau.accounts.tokens import do_create_token
from preau.directory.actions import do_attach_to_structure
from preau.messaging.models import Message, SystemFolder
from tests.accounts.helpers import text
from tests.personas import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]

LOGIN_URL = reverse("accounts:login")
# Queries of the second step's POST (test_the_second_step_takes_a_fixed_number_of_queries).
COUNTS = {"totp": 22, "recovery": 22, "wrong": 13}
STEP_URL = reverse("accounts:second_factor_step")
ACCOUNT_URL = reverse("accounts:second_factor")


def code_of(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the authenticator app shows now (or at `at`), from the device's key."""
    device.refresh_from_db()
    if at is None:
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    with time_machine.travel(at, tick=False):
        return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """A confirmed app and ten recovery codes, as if the user had set them up earlier."""
    device = TOTPDevice.objects.create(user=user, name="Préau", confirmed=True)
    return device, _new_recovery_codes(user)


def password_step(user: User, next_url: str = "") -> Client:
    client = Client()
    data = {"username": user.login, "password": PASSWORD}
    url = LOGIN_URL
    if next_url:
        data["next"] = next_url
        url = f"{LOGIN_URL}?next={next_url}"
    response = client.post(url, data)
    assert response.status_code == 302, text(response)
    return client


def head_teacher(personas) -> User:
    """A head teacher (director flag) who is not a school admin: she approves teachers'
    own class attachments, an administrative power."""
    user = make_user("Directrice", "Seule", Profile.TEACHER)
    do_attach_to_structure(user, personas.other_school, is_director=True)
    return user


def _notices_of(user):
    return Message.objects.filter(sender=None, copies__user=user,
                                  copies__folder=SystemFolder.INBOX)


# -- who is asked ------------------------------------------------------------------------


def test_the_one_definition_of_who_needs_a_second_factor(personas, settings):
    operator = make_user("Opé", "Rateur", Profile.PERSONNEL, is_superuser=True)
    federated_admin = make_user("Fédé", "Admin", Profile.PERSONNEL, is_ent_admin=True,
                                federated=True)
    asked = {personas.ent_admin, personas.school_admin, operator, head_teacher(personas)}
    never = {personas.teacher, personas.colleague, personas.pupil, personas.parent,
             personas.guest, personas.other_teacher, federated_admin}
    assert all(needs_second_factor(user) for user in asked)
    assert not any(needs_second_factor(user) for user in never)
    settings.PREAU_ADMIN_SECOND_FACTOR = False
    assert not any(needs_second_factor(user) for user in asked)


@pytest.mark.parametrize("name", ["teacher", "pupil", "parent", "guest", "colleague"])
def test_accounts_that_administer_nothing_are_never_asked(name, personas):
    client = password_step(getattr(personas, name))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(STEP_URL)["Location"] == reverse("home")
    assert not TOTPDevice.objects.exists()


def test_a_federated_admin_is_never_asked(personas, settings):
    # Django's ModelBackend stands for the SSO's backend (the local one refuses them).
    sso = "django.contrib.auth.backends.ModelBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, sso]
    admin = make_user("Fédé", "Admin", Profile.PERSONNEL, is_ent_admin=True, federated=True)
    client = Client()
    client.force_login(admin, backend=sso)
    assert client.get(reverse("console:index")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("name", ["ent_admin", "school_admin"])
def test_with_the_setting_off_nobody_is_asked(name, personas, settings):
    settings.PREAU_ADMIN_SECOND_FACTOR = False
    enrol(getattr(personas, name))  # even with an app set up
    client = password_step(getattr(personas, name))
    assert client.get(reverse("console:index")).status_code == 200


# -- enrolment -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ent_admin", "school_admin", "head_teacher"])
def test_an_admin_without_a_device_must_enrol_before_reaching_anything(name, personas):
    user = head_teacher(personas) if name == "head_teacher" else getattr(personas, name)
    client = password_step(user)
    assert client.session["_auth_user_id"] == str(user.pk)
    # Every page, the console, htmx and the API with the session: nothing but the step.
    for url in (reverse("home"), reverse("console:index"), reverse("accounts:tokens"),
                reverse("directory:search"), reverse("messaging:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(STEP_URL), url
    htmx = client.get(reverse("directory:search"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 403 and htmx["HX-Redirect"].startswith(STEP_URL)
    for url in ("/api/v1/me/", "/api/v1/people/", "/api/v1/admin/users/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "second facteur" in response.json()["detail"]
    assert client.post("/api/v1/me/tokens/", {"name": "x"}).status_code == 403
    posted = client.post(reverse("accounts:tokens"), {"name": "x"})
    assert posted.status_code == 302 and not user.tokens.exists()

    page = client.get(STEP_URL)
    assert page.status_code == 200
    html = text(page)
    assert "Configurer votre second facteur" in html
    assert 'src="data:image/svg+xml' in html and "<script" not in html.split("<main")[1]
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert 'aria-label="Menu principal"' not in html  # the menu leads nowhere yet
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.get(STEP_URL).context["enrolment"].device == device  # same key on reload

    wrong = client.post(STEP_URL, {"code": "000000" if code_of(device) != "000000"
                                   else "111111"})
    assert wrong.status_code == 200 and "ne correspond pas" in text(wrong)
    done = client.post(STEP_URL, {"code": code_of(device), "next": "/administration/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes)
    html = text(done)
    assert all(code in html for code in codes)
    assert "data-print" in html and 'download="' in html
    assert 'href="/administration/"' in html
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("console:index")).status_code in (200, 403)  # head teacher: 403
    assert client.get("/api/v1/me/").status_code == 200
    assert user.events.filter(kind=UserEvent.Kind.SECOND_FACTOR_ENROLLED).exists()
    # The recovery codes are never shown again.
    assert not any(code in text(client.get(ACCOUNT_URL)) for code in codes)


def test_enrolment_is_told_to_the_owner(personas, django_capture_on_commit_callbacks):
    user = personas.ent_admin
    user.email = "admin@example.org"
    user.save()
    client = password_step(user)
    client.get(STEP_URL)
    device = TOTPDevice.objects.get(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STEP_URL, {"code": code_of(device)})
    notice = _notices_of(user).get()
    assert notice.subject == "Un second facteur a été configuré sur votre compte"
    assert mail.outbox[0].to == ["admin@example.org"]
    assert "quelqu'un connaît votre mot de passe" in mail.outbox[0].body.lower()


# -- the login's second step ---------------------------------------------------------------


def test_with_a_device_a_valid_code_logs_in_and_goes_on(personas):
    device, _codes = enrol(personas.school_admin)
    client = password_step(personas.school_admin, next_url="/administration/comptes/")
    response = client.get("/administration/comptes/")
    assert response["Location"] == f"{STEP_URL}?next=%2Fadministration%2Fcomptes%2F"
    page = client.get(response["Location"])
    html = text(page)
    assert "Deuxième étape de la connexion" in html
    assert '<label for="id_code"' in html and 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html and 'for="id_recovery-code"' in html
    before = client.session.session_key
    done = client.post(STEP_URL, {"code": code_of(device), "next": "/administration/comptes/"})
    assert done["Location"] == "/administration/comptes/"
    assert client.session.session_key != before  # a new session key once verified
    assert client.get("/administration/comptes/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_the_next_url_must_be_ours(personas):
    device, _codes = enrol(personas.ent_admin)
    client = password_step(personas.ent_admin)
    done = client.post(STEP_URL, {"code": code_of(device), "next": "https://evil.example/"})
    assert done["Location"] == reverse("home")
    for target in ("//evil.example/", "home", "18446744073709551616"):  # never a view name
        assert client.get(STEP_URL, {"next": target})["Location"] == reverse("home")


def test_a_used_code_cannot_be_replayed(personas):
    device, _codes = enrol(personas.ent_admin)
    moment = timezone.now().timestamp()
    code = code_of(device, at=moment)
    with time_machine.travel(moment, tick=False):
        first = password_step(personas.ent_admin)
        assert first.post(STEP_URL, {"code": code})["Location"] == reverse("home")
        second = password_step(personas.ent_admin)
        replay = second.post(STEP_URL, {"code": code})
    assert replay.status_code == 200
    assert "déjà été utilisé" in text(replay)
    assert DEVICE_ID_SESSION_KEY not in second.session
    # Nor a code of an earlier step, still within the drift tolerance.
    earlier = code_of(device, at=moment - 30)
    with time_machine.travel(moment + 1, tick=False):
        assert second.post(STEP_URL, {"code": earlier}).status_code == 200
        assert DEVICE_ID_SESSION_KEY not in second.session


def test_wrong_codes_are_refused_then_the_step_is_locked(personas, settings,
                                                         django_capture_on_commit_callbacks):
    settings.PREAU_SECOND_FACTOR_FAILURE_LIMIT = 3
    device, codes = enrol(personas.ent_admin)
    client = password_step(personas.ent_admin)
    right = code_of(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _attempt in range(2):
        response = client.post(STEP_URL, {"code": wrong})
        assert response.status_code == 200 and "n'est pas le bon" in text(response)
    with django_capture_on_commit_callbacks(execute=True):
        locked = client.post(STEP_URL, {"code": wrong})
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= settings.AXES_COOLOFF_TIME * 3600
    assert "trop de codes erronés" in text(locked).lower()
    # Locked: even the right code, or a recovery code, from anywhere, waits.
    other = password_step(personas.ent_admin)
    for data in ({"code": right}, {"recovery-code": codes[0]}):
        response = other.post(STEP_URL, data)
        assert response.status_code == 429
        assert DEVICE_ID_SESSION_KEY not in other.session
    assert StaticToken.objects.filter(device__user=personas.ent_admin).count() == 10
    event = personas.ent_admin.events.get(kind=UserEvent.Kind.SECOND_FACTOR_LOCKED)
    assert event.details["failures"] == 3
    notice = _notices_of(personas.ent_admin).get()
    assert notice.subject == "Codes erronés à la deuxième étape de votre connexion"
    # After the cool-off the right code works again.
    later = timezone.now() + datetime.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60 + 1)
    with time_machine.travel(later, tick=False):
        fresh = code_of(device, at=later.timestamp())
        response = other.post(STEP_URL, {"code": fresh})
    assert response.status_code == 302
    assert SecondFactorGuard.objects.get(user=personas.ent_admin).failures == 0


def test_a_new_password_login_does_not_reset_the_count(personas, settings):
    """The password is the attacker's: logging in again must not give new guesses."""
    settings.PREAU_SECOND_FACTOR_FAILURE_LIMIT = 3
    device, _codes = enrol(personas.ent_admin)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    for _attempt in range(2):
        password_step(personas.ent_admin).post(STEP_URL, {"code": wrong})
    response = password_step(personas.ent_admin).post(STEP_URL, {"code": wrong})
    assert response.status_code == 429


def test_a_recovery_code_works_once(personas):
    _device, codes = enrol(personas.school_admin)
    client = password_step(personas.school_admin)
    response = client.post(STEP_URL, {"recovery-code": codes[3].upper().replace("-", " ")})
    assert response["Location"] == reverse("home")
    assert "il en reste 9" in text(client.get(reverse("home")))
    assert client.get(reverse("console:index")).status_code == 200
    event = personas.school_admin.events.get(kind=UserEvent.Kind.RECOVERY_CODE_USED)
    assert event.details == {"left": 9}
    again = password_step(personas.school_admin).post(STEP_URL, {"recovery-code": codes[3]})
    assert again.status_code == 200 and "n'est pas le bon" in text(again)


def test_the_second_step_takes_a_fixed_number_of_queries(personas,
                                                         django_assert_num_queries):
    device, codes = enrol(personas.school_admin)
    client = password_step(personas.school_admin)
    with django_assert_num_queries(6):  # session, user, admin?, device, the layout
        assert client.get(STEP_URL).status_code == 200
    # Past the page's own reads: the guard and the device (locked, updated) under a
    # savepoint, then the session's new key (session rows and savepoints).
    with django_assert_num_queries(COUNTS["totp"]):
        assert client.post(STEP_URL, {"code": code_of(device)}).status_code == 302
    # A recovery code: its device and token instead (deleted), the count left, the history.
    second = password_step(personas.school_admin)
    with django_assert_num_queries(COUNTS["recovery"]):
        assert second.post(STEP_URL, {"recovery-code": codes[0]}).status_code == 302
    # A wrong code: the guard, the device and their updates; the page with its layout.
    third = password_step(personas.school_admin)
    with django_assert_num_queries(COUNTS["wrong"]):
        assert third.post(STEP_URL, {"code": "abcd-efgh"}).status_code == 200


def test_what_the_gate_costs_per_request(personas, settings):
    """A verified admin's session: one query (its device) plus the account tab's test; a
    teacher with a local password: one (does she administer something?); none when off."""
    device, _codes = enrol(personas.ent_admin)
    admin = password_step(personas.ent_admin)
    admin.post(STEP_URL, {"code": code_of(device)})
    teacher = password_step(personas.teacher)
    url = reverse("accounts:profile")
    counts = {}
    for setting in (False, True):
        settings.PREAU_ADMIN_SECOND_FACTOR = setting
        for name, client in (("admin", admin), ("teacher", teacher)):
            client.get(url)  # warm
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[name, setting] = len(queries)
    assert counts["admin", True] == counts["admin", False] + 1, counts  # its device
    assert counts["teacher", True] == counts["teacher", False] + 1, counts  # admin? (once)


# -- My account ------------------------------------------------------------------------------


def _verified(user: User) -> tuple[Client, TOTPDevice, list[str]]:
    device, codes = enrol(user)
    client = password_step(user)
    moment = timezone.now().timestamp() - 60
    with time_machine.travel(moment, tick=False):
        client.post(STEP_URL, {"code": code_of(device, at=moment)})
    assert DEVICE_ID_SESSION_KEY in client.session
    return client, device, codes


def test_my_account_shows_the_state_and_renews_the_recovery_codes(personas):
    client, device, codes = _verified(personas.ent_admin)
    page = text(client.get(ACCOUNT_URL))
    assert "Second facteur" in page and "Codes de secours restants" in page
    assert 'aria-current="page">Second facteur' in page
    wrong = client.post(reverse("accounts:renew_recovery_codes"), {"renew-code": "12345"})
    assert wrong.status_code == 400
    refused = client.post(reverse("accounts:renew_recovery_codes"),
                          {"renew-code": codes[0]})  # a recovery code does not do here
    assert refused.status_code == 400
    response = client.post(reverse("accounts:renew_recovery_codes"),
                           {"renew-code": code_of(device)})
    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(codes)
    assert personas.ent_admin.events.filter(
        kind=UserEvent.Kind.RECOVERY_CODES_RENEWED).exists()
    assert password_step(personas.ent_admin).post(
        STEP_URL, {"recovery-code": codes[1]}).status_code == 200  # old ones: refused


def test_removing_the_app_needs_a_code_and_sends_an_admin_to_enrol_again(personas):
    client, device, _codes = _verified(personas.school_admin)
    refused = client.post(reverse("accounts:remove_second_factor"), {"remove-code": "000000"
                          if code_of(device) != "000000" else "111111"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(pk=device.pk).exists()
    response = client.post(reverse("accounts:remove_second_factor"),
                           {"remove-code": code_of(device)})
    assert response["Location"] == STEP_URL
    assert not TOTPDevice.objects.filter(user=personas.school_admin, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=personas.school_admin).exists()
    assert client.get(reverse("console:index")).status_code == 302  # back to enrolment
    assert "Configurer" in text(client.get(STEP_URL))
    assert personas.school_admin.events.filter(
        kind=UserEvent.Kind.SECOND_FACTOR_REMOVED).exists()


def test_the_tab_is_for_accounts_that_need_it(personas, client_for):
    assert "Second facteur" not in text(client_for(personas.teacher).get(
        reverse("accounts:profile")))
    client, _device, _codes = _verified(personas.ent_admin)
    assert "Second facteur" in text(client.get(reverse("accounts:profile")))


# -- the console's reset -------------------------------------------------------------------


def test_an_ent_admin_resets_another_accounts_second_factor(personas,
                                                            django_capture_on_commit_callbacks):
    client, _device, _codes = _verified(personas.ent_admin)
    enrol(personas.school_admin)
    personas.school_admin.email = "sophie@example.org"
    personas.school_admin.save()
    target = password_step(personas.school_admin)
    page = text(client.get(reverse("console:user", args=[personas.school_admin.pk])))
    assert "Réinitialiser le second facteur" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:user_reset_second_factor",
                                       args=[personas.school_admin.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.school_admin).exists()
    assert not StaticDevice.objects.filter(user=personas.school_admin).exists()
    event = personas.school_admin.events.get(kind=UserEvent.Kind.SECOND_FACTOR_RESET)
    assert event.actor == personas.ent_admin
    assert target.get(reverse("home"))["Location"].startswith(LOGIN_URL)  # sessions ended
    notice = _notices_of(personas.school_admin).get()
    assert notice.subject == "Le second facteur de votre compte a été réinitialisé"
    assert mail.outbox[-1].to == ["sophie@example.org"]
    # The person sets up a new app at the next login.
    again = password_step(personas.school_admin)
    assert "Configurer" in text(again.get(STEP_URL))


def test_a_reset_lifts_the_lock(personas, settings):
    settings.PREAU_SECOND_FACTOR_FAILURE_LIMIT = 1
    client, _device, _codes = _verified(personas.ent_admin)
    enrol(personas.school_admin)
    password_step(personas.school_admin).post(STEP_URL, {"code": "abcdefgh"})
    assert SecondFactorGuard.objects.get(user=personas.school_admin).locked_until
    page = text(client.get(reverse("console:user", args=[personas.school_admin.pk])))
    assert "Verrouillé" in page
    client.post(reverse("console:user_reset_second_factor", args=[personas.school_admin.pk]))
    assert not SecondFactorGuard.objects.filter(user=personas.school_admin).exists()


@pytest.mark.parametrize("actor, target, status", [
    ("school_admin", "colleague", 403),  # school admins may not, even in their school
    ("school_admin", "ent_admin", 403),
    ("teacher", "school_admin", 403),
    ("pupil", "school_admin", 403),
    ("ent_admin", "ent_admin", 302),  # refused: their own, from My account
    ("operator_target", None, 302),  # refused: an operator's, for operators only
])
def test_who_may_reset_a_second_factor(actor, target, status, personas, settings):
    settings.PREAU_ADMIN_SECOND_FACTOR = False  # the permission matrix, not the login
    operator = make_user("Opé", "Rateur", Profile.PERSONNEL, is_superuser=True,
                         is_ent_admin=True)
    people = {**personas.all_users(), "operator_target": operator}
    if actor == "operator_target":
        actor, person = "ent_admin", operator
    else:
        person = people[target]
    enrol(person)
    client = Client()
    client.force_login(people[actor], backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.post(reverse("console:user_reset_second_factor", args=[person.pk]))
    assert response.status_code == status
    assert TOTPDevice.objects.filter(user=person).exists()  # refused in every case
    assert not person.events.filter(kind=UserEvent.Kind.SECOND_FACTOR_RESET).exists()


def test_anonymous_visitors_go_to_the_login_page(client, personas):
    for url in (STEP_URL, ACCOUNT_URL):
        assert client.get(url)["Location"].startswith(LOGIN_URL)
    response = client.post(reverse("console:user_reset_second_factor",
                                   args=[personas.teacher.pk]))
    assert response["Location"].startswith(LOGIN_URL)


# -- tokens, the setting, the demo, the check ----------------------------------------------


def test_an_admins_existing_tokens_keep_working(personas):
    key = do_create_token(personas.ent_admin, "script")
    enrol(personas.ent_admin)
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_a_verified_admin_creates_a_token(personas):
    client, _device, _codes = _verified(personas.ent_admin)
    response = client.post(reverse("accounts:tokens"), {"name": "script"})
    assert response.status_code == 200 and response.context["new_key"]


def test_the_half_logged_in_session_may_log_out(personas):
    client = password_step(personas.ent_admin)
    assert client.post(reverse("accounts:logout"))["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_the_setting_defaults_to_on_in_production_and_off_in_debug(tmp_path):
    import subprocess
    import sys

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'preau.settings'; "
            "django.setup(); from django.conf import settings as s; "
            "print(s.PREAU_ADMIN_SECOND_FACTOR)")
    base = {"PATH": "/usr/bin:/bin", "PREAU_DATA_DIR": str(tmp_path)}
    seen = {}
    for env in ({}, {"PREAU_DEBUG": "true"}, {"PREAU_ADMIN_SECOND_FACTOR": "false"},
                {"PREAU_DEBUG": "true", "PREAU_ADMIN_SECOND_FACTOR": "true"}):
        result = subprocess.run([sys.executable, "-c", code], env={**base, **env},
                                capture_output=True, text=True, check=True)
        seen[tuple(sorted(env.items()))] = result.stdout.strip()
    assert list(seen.values()) == ["True", "False", "False", "True"]


def test_the_demo_serves_without_the_second_factor(personas, settings, monkeypatch):
    from preau.demo.management.commands.demo import demo_without_second_factor

    monkeypatch.delenv("PREAU_ADMIN_SECOND_FACTOR", raising=False)
    assert demo_without_second_factor() is True
    assert settings.PREAU_ADMIN_SECOND_FACTOR is False
    client = password_step(personas.ent_admin)
    assert client.get(reverse("console:index")).status_code == 200
    settings.PREAU_ADMIN_SECOND_FACTOR = True
    monkeypatch.setenv("PREAU_ADMIN_SECOND_FACTOR", "true")
    assert demo_without_second_factor() is False
    assert settings.PREAU_ADMIN_SECOND_FACTOR is True


def test_check_deploy_warns_when_the_second_factor_is_off(settings):
    """(tests/test_deployment.py runs `check --deploy` on the production guide: clean.)"""
    from preau.lib.checks import check_production_settings

    assert "preau.W006" not in {m.id for m in check_production_settings()}
    settings.PREAU_ADMIN_SECOND_FACTOR = False
    warning = next(m for m in check_production_settings() if m.id == "preau.W006")
    assert warning.level == checks.WARNING
