"""Sending limits of the Messagerie (issue 11, « Storage and sending abuse »): attachment
bytes times people reached per message and per day, messages and people per hour, per
profile. Refused before anything is written: nothing charged, nothing delivered, the draft
kept.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from preau.accounts.models import Profile, User
from preau.directory.actions import do_add_to_class, do_create_class, do_link_relative
from preau.directory.models import CommunicationRule, MembershipSource
from preau.documents.actions import quota_of, recount_quota
from preau.lib.env import env_int_map_over
from preau.messaging.actions import (
    MessagingError,
    SendLimitReached,
    check_compose_and_send,
    check_delete_for_good,
    check_refuse_attachment,
    check_send,
    check_trash,
    do_deliver_notice,
)
from preau.messaging.models import Message, MessageCopy, SystemFolder
from tests.messaging.helpers import class_group, copy_of, draft, send
from tests.personas import make_user

KIB = 1024
MIB = 1024 * KIB
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2024, 3, day, hour, minute, second, tzinfo=PARIS)


def sent_by(user: User) -> int:
    return Message.objects.filter(sender=user, sent_at__isnull=False).count()


def _spaces(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


# -- attachment bytes times people reached-----------------------------------------------------


def _classmates(personas, count: int) -> list[User]:
    """`count` more pupils in the pupil's class, within her reach (the pupil → pupil rule of
    the class, off by default, switched on): her schoolmates of the finding."""
    CommunicationRule.objects.filter(sender_profile=Profile.STUDENT, scope="same_class",
                                     receiver_profile=Profile.STUDENT).update(enabled=True)
    mates = []
    for index in range(count):
        mate = make_user(f"Élève{index}", "Camarade", Profile.STUDENT)
        do_add_to_class(mate, personas.school_class, MembershipSource.FEED)
        mates.append(mate)
    return mates


def test_a_pupil_cannot_charge_129_schoolmates_with_one_attachment(personas, settings):
    """The finding, at 1/1024 of its scale: 50 KiB (for 50 MiB) to 129 schoolmates. Refused
    before anything is sent: nobody charged, the draft kept, a French message with the
    figures. The same file to her teacher alone goes."""
    p = personas
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE = {"Student": 50 * KIB}
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_DAY = {"Student": 200 * KIB}
    # Only the byte caps here (the hourly limits would refuse 129 people first).
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = {}
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {}
    mates = _classmates(p, 129)
    message = draft(p.pupil, [f"user:{m.pk}" for m in mates], subject="Coucou",
                    files=[("video.bin", b"v" * 50 * KIB)])
    with pytest.raises(MessagingError) as refused:
        check_send(p.pupil, message)
    text = _spaces(str(refused.value))
    assert text.startswith("Non envoyé : ses pièces jointes (50 Ko) envoyées à 129 personnes "
                           "occuperaient 6,3 Mo de leurs espaces documentaires")
    assert "au plus 50 Ko de pièces jointes par message" in text
    assert "profil « Élève »" in text and "Votre brouillon est conservé." in text
    message.refresh_from_db()
    assert message.is_draft
    assert list(MessageCopy.objects.filter(message=message).values_list("user_id", flat=True)) \
        == [p.pupil.pk]
    assert all(quota_of(m).used == 0 for m in mates[:5]) and quota_of(mates[-1]).used == 0
    assert quota_of(p.pupil).used == 50 * KIB  # her own draft's attachment, as before
    # To her teacher alone the same file is within the cap.
    sent = send(p.pupil, [f"user:{p.teacher.pk}"], files=[("devoir.bin", b"d" * 50 * KIB)])
    assert quota_of(p.teacher).used == 50 * KIB
    # The guide's rules hold: deleting her copy frees her space, the teacher keeps hers.
    check_trash(p.pupil, [copy_of(p.pupil, sent)])
    check_delete_for_good(p.pupil, [copy_of(p.pupil, sent)])
    assert quota_of(p.pupil).used == 50 * KIB == recount_quota(p.pupil.pk)  # the old draft
    assert quota_of(p.teacher).used == 50 * KIB


def test_with_the_default_settings_the_finding_is_refused(personas):
    p = personas
    mates = _classmates(p, 129)
    message = draft(p.pupil, [f"user:{m.pk}" for m in mates],
                    files=[("video.bin", b"v" * MIB)])
    with pytest.raises(MessagingError, match="Non envoyé"):
        check_send(p.pupil, message)
    assert not MessageCopy.objects.filter(user__in=mates).exists()
    assert quota_of(mates[0]).used == 0


def test_the_daily_cap_counts_the_messages_of_the_last_24_hours(personas, settings):
    p = personas
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE = {"Student": 100 * KIB}
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_DAY = {"Student": 250 * KIB}
    to = [f"user:{p.teacher.pk}", f"user:{p.parent.pk}"]
    file = [("photo.bin", b"p" * 50 * KIB)]  # 50 KiB for 2 people: 100 KiB a message
    with time_machine.travel(at(12, 9), tick=False):
        send(p.pupil, to, files=file)
    with time_machine.travel(at(12, 10), tick=False):
        send(p.pupil, to, files=file)
        # Without attachment, the daily cap does not apply.
        send(p.pupil, to, subject="Sans pièce jointe")
    # Recipients refusing the attachments give the sender no allowance back.
    first = Message.objects.filter(sender=p.pupil).order_by("sent_at").first()
    assert first is not None
    check_refuse_attachment(p.parent, copy_of(p.parent, first), first.attachments.get())
    with time_machine.travel(at(12, 16), tick=False):
        third = draft(p.pupil, to, files=file)
        with pytest.raises(MessagingError) as refused:
            check_send(p.pupil, third)
    text = _spaces(str(refused.value))
    assert "vos messages des dernières 24 heures comptent déjà pour 200 Ko" in text
    assert "au plus 250 Ko de pièces jointes par 24 heures" in text
    assert "Vous pourrez l\u2019envoyer à partir du 13/03/2024 09:00." in text
    assert quota_of(p.parent).used == 50 * KIB  # the second; not the refused, not the third
    with time_machine.travel(at(13, 9, 0, 1), tick=False):
        check_send(p.pupil, third)  # the first one left the window
    assert quota_of(p.parent).used == 100 * KIB


# -- messages and recipients per hour -----------------------------------------------------


def test_a_thousand_quick_sends_from_one_pupil_stop_at_the_hourly_limit(personas):
    """1,000 messages in 35 s must not happen: with the default settings a pupil's quick
    sends stop at her hourly limit; the rest are refused, saying when she can send again."""
    p = personas
    sent = refused = 0
    last_error = ""
    with time_machine.travel(at(12, 14), tick=False):
        for index in range(1000):
            try:
                check_compose_and_send(p.pupil, to=[f"user:{p.teacher.pk}"],
                                       subject=f"Spam {index}", body="x")
            except MessagingError as error:
                refused += 1
                last_error = _spaces(str(error))
            else:
                sent += 1
    assert (sent, refused) == (15, 985)
    assert sent_by(p.pupil) == 15
    assert MessageCopy.objects.filter(user=p.teacher).count() == 15
    assert last_error.startswith("Non envoyé : vous avez envoyé 15 messages au cours de la "
                                 "dernière heure, le maximum pour le profil « Élève ».")
    assert "Vous pourrez envoyer de nouveau dans 60 minutes (à 15:00)." in last_error
    assert last_error.endswith("Votre brouillon est conservé.")
    # An hour after the first, she can write again.
    with time_machine.travel(at(12, 15, 0, 30), tick=False):
        check_compose_and_send(p.pupil, to=[f"user:{p.teacher.pk}"], subject="Devoir")
    assert sent_by(p.pupil) == 16


def test_recipients_per_hour(personas, settings):
    p = personas
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = {"Student": 5}
    to = [f"user:{p.teacher.pk}", f"user:{p.parent.pk}"]
    with time_machine.travel(at(12, 10, 10), tick=False):
        send(p.pupil, to)
    with time_machine.travel(at(12, 10, 20), tick=False):
        send(p.pupil, to)
    with time_machine.travel(at(12, 10, 30), tick=False), \
            pytest.raises(MessagingError) as refused:
        send(p.pupil, to)
    text = _spaces(str(refused.value))
    assert text.startswith("Non envoyé : ce message atteindrait 2 personnes et vous en avez "
                           "atteint 4 au cours de la dernière heure ; le profil « Élève » "
                           "peut en atteindre au plus 5 par heure.")
    assert "Vous pourrez l\u2019envoyer dans 40 minutes (à 11:10)." in text
    with time_machine.travel(at(12, 11, 10), tick=False):
        send(p.pupil, to)
    assert sent_by(p.pupil) == 3


def test_a_message_over_a_per_hour_limit_by_itself_says_to_remove_recipients(personas,
                                                                           settings):
    p = personas
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = {"Student": 1}
    with pytest.raises(MessagingError) as refused:
        send(p.pupil, [f"user:{p.teacher.pk}", f"user:{p.parent.pk}"])
    text = _spaces(str(refused.value))
    assert "Ce message dépasse à lui seul cette limite : retirez des destinataires." in text
    assert "Vous pourrez" not in text


def test_a_teachers_normal_day_is_never_refused_with_the_defaults(personas):
    """Teachers write to classes of 25 to 30 pupils and their parents several times a day, with
    attachments: the default limits never stop them."""
    p = personas
    second = do_create_class(p.school, "CM2-A", "CM2 A", ["CM2"])
    groups = []
    for school_class in (p.school_class, second):
        if school_class != p.school_class:
            do_add_to_class(p.teacher, school_class, MembershipSource.MANUAL)
        for index in range(28):
            pupil = make_user(f"Élève{index}", school_class.code, Profile.STUDENT)
            do_add_to_class(pupil, school_class, MembershipSource.FEED)
            for parent_index in range(2 if index < 20 else 1):
                parent = make_user(f"Parent{parent_index}", f"{school_class.code}{index}",
                                   Profile.RELATIVE)
                do_link_relative(parent, pupil)
                do_add_to_class(parent, school_class, MembershipSource.FEED)
        groups += [class_group(school_class, Profile.STUDENT),
                   class_group(school_class, Profile.RELATIVE)]
    everyone = [f"group:{g.pk}" for g in groups]
    parents = [f"group:{g.pk}" for g in groups[1::2]]
    pdf = [("sortie.pdf", b"%PDF-1.4\n" + b"s" * (5 * MIB - 9))]
    day = [(at(12, 8, 10), everyone, pdf), (at(12, 8, 40), parents, pdf),
           (at(12, 11, 45), everyone, []), (at(12, 12, 5), parents, pdf),
           (at(12, 16, 30), everyone, pdf), (at(12, 17, 0), parents, pdf)]
    # A burst: ten notes to the classes in half an hour after school.
    day += [(at(12, 17, 5 + 3 * i), everyone if i % 2 else parents, []) for i in range(10)]
    for moment, to, files in day:
        with time_machine.travel(moment, tick=False):
            send(p.teacher, to, files=files)
    # And answers to parents one by one through the evening.
    parent = User.objects.filter(profile=Profile.RELATIVE, last_name__startswith="CM2-A").first()
    assert parent is not None
    for minute in range(30):
        with time_machine.travel(at(12, 19, minute), tick=False):
            send(p.teacher, [f"user:{parent.pk}"], subject=f"Réponse {minute}")
    assert sent_by(p.teacher) == len(day) + 30
    assert MessageCopy.objects.filter(message__sender=p.teacher, folder=SystemFolder.INBOX) \
        .values("user").distinct().count() == 2 * (28 + 48) + 2  # + the personas' pupil, parent


# -- every way a message is sent; who is exempt ---------------------------------------------


def _api(user: User) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
    return client


def test_the_limits_hold_for_the_composer_the_api_replies_and_forwards(personas, settings,
                                                                     client_for):
    p = personas
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {"Student": 3}
    web, api = client_for(p.pupil), _api(p.pupil)
    with time_machine.travel(at(12, 9), tick=False):
        original = send(p.teacher, [f"user:{p.pupil.pk}"], subject="Poésie",
                        files=[("poeme.pdf", b"%PDF-1.4 poeme")])
        # 1: the web composer; 2: the API; 3: a reply sent from the composer.
        response = web.post(reverse("messaging:compose"), {
            "to": [f"user:{p.teacher.pk}"], "subject": "Un", "action": "send"})
        assert response.status_code == 302 and response["Location"].endswith("/envoyes/")
        assert api.post("/api/v1/mail/messages/", {"to": [f"user:{p.teacher.pk}"],
                                                   "subject": "Deux"}).status_code == 201
        web.post(reverse("messaging:reply", args=[original.pk]))
        reply = Message.objects.get(subject="Re : Poésie")
        response = web.post(reverse("messaging:draft", args=[reply.pk]), {
            "to": [f"user:{p.teacher.pk}"], "subject": reply.subject, "body": reply.body,
            "action": "send"})
        assert response["Location"].endswith("/envoyes/")
    assert sent_by(p.pupil) == 3
    with time_machine.travel(at(12, 9, 20), tick=False):
        # A forward, sent from the composer: refused, in French, the draft kept.
        web.post(reverse("messaging:forward", args=[original.pk]))
        forward = Message.objects.get(subject="Tr : Poésie")
        response = web.post(reverse("messaging:draft", args=[forward.pk]), {
            "to": [f"user:{p.teacher.pk}"], "subject": forward.subject, "body": forward.body,
            "action": "send"}, follow=True)
        page = _spaces(response.content.decode())
        assert "Non envoyé : vous avez envoyé 3 messages au cours de la dernière heure" in page
        assert "dans 40 minutes (à 10:00)" in page
        forward.refresh_from_db()
        assert forward.is_draft and forward.attachments.count() == 1
        # The same draft through the API, and a new message: 429 with when to retry.
        refused = api.post(f"/api/v1/mail/drafts/{forward.pk}/send/")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "2400" and refused.json()["retry_after"] == 2400
        assert refused.json()["detail"].startswith("Non envoyé : vous avez envoyé 3 messages")
        assert api.post("/api/v1/mail/messages/", {"to": [f"user:{p.teacher.pk}"],
                                                   "subject": "Quatre"}).status_code == 429
    assert sent_by(p.pupil) == 3
    assert MessageCopy.objects.filter(user=p.teacher, folder=SystemFolder.INBOX).count() == 3


def test_a_message_over_a_cap_by_itself_is_a_400_without_retry(personas, settings):
    p = personas
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE = {"Relative": 100}
    api = _api(p.parent)
    created = api.post("/api/v1/mail/drafts/", {"to": [f"user:{p.teacher.pk}"],
                                                "subject": "Scan"}).json()
    api.post(f"/api/v1/mail/drafts/{created['id']}/attachments/",
             {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4" + b"s" * 192)},
             format="multipart")
    refused = api.post(f"/api/v1/mail/drafts/{created['id']}/send/")
    assert refused.status_code == 400 and refused.json()["retry_after"] is None
    assert "Retry-After" not in refused
    assert "au plus 100 octets de pièces jointes par message" in _spaces(refused.json()["detail"])
    assert quota_of(p.teacher).used == 0


def test_ent_admins_are_exempt_from_the_hourly_limits_not_from_the_attachment_caps(
        personas, settings):
    p = personas
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {"Personnel": 1}
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = {"Personnel": 1}
    settings.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE = {"Personnel": 1000}
    everyone = [f"user:{u.pk}" for u in (p.teacher, p.parent, p.pupil, p.other_teacher)]
    for index in range(3):
        send(p.ent_admin, everyone, subject=f"Annonce {index}")
    assert sent_by(p.ent_admin) == 3
    with pytest.raises(SendLimitReached, match="par message"):
        send(p.ent_admin, everyone, files=[("note.pdf", b"%PDF-1.4" + b"n" * 392)])
    # A school admin of the same profile is not exempt.
    send(p.school_admin, [f"user:{p.teacher.pk}"])
    with pytest.raises(SendLimitReached, match="vous avez envoyé 1 message"):
        send(p.school_admin, [f"user:{p.teacher.pk}"])


def test_automatic_notices_are_never_limited_and_count_for_nobody(personas, settings):
    p = personas
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = dict.fromkeys(Profile.values, 0)
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = dict.fromkeys(Profile.values, 0)
    everyone = [u.pk for u in p.all_users().values()]
    for index in range(20):
        do_deliver_notice(everyone, f"Avis {index}", "Changement d’année")  # noqa: RUF001
    assert MessageCopy.objects.filter(user=p.pupil).count() == 20
    with pytest.raises(SendLimitReached, match="le profil « Élève » ne peut pas envoyer"):
        send(p.pupil, [f"user:{p.teacher.pk}"])


def test_a_negative_value_removes_a_limit(personas, settings):
    p = personas
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {"Student": -1}
    settings.PREAU_MAIL_RECIPIENTS_PER_HOUR = {"Student": -1}
    with time_machine.travel(at(12, 9), tick=False):
        for index in range(40):
            send(p.pupil, [f"user:{p.teacher.pk}"], subject=str(index))
    assert sent_by(p.pupil) == 40


def test_settings_per_profile_from_the_environment(monkeypatch):
    monkeypatch.setenv("X_MAP", "Student=5, Teacher=-1")
    assert env_int_map_over("X_MAP", {"Student": 15, "Relative": 30},
                            Profile.values) == {"Student": 5, "Relative": 30, "Teacher": -1}
    monkeypatch.setenv("X_MAP", "Eleve=5")
    with pytest.raises(ImproperlyConfigured, match="unknown key"):
        env_int_map_over("X_MAP", {}, Profile.values)
    env = {**os.environ,
           "PREAU_MAIL_ATTACHMENT_MIB_PER_MESSAGE_BY_PROFILE": "Student=10,Teacher=-1",
           "PREAU_MAIL_MESSAGES_PER_HOUR_BY_PROFILE": "Guest=3"}
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='preau.settings'; "
            "django.setup(); from django.conf import settings as s; "
            "print(s.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE['Student'], "
            "s.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE['Teacher'], "
            "s.PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE['Relative'], "
            "s.PREAU_MAIL_MESSAGES_PER_HOUR['Guest'], s.PREAU_MAIL_MESSAGES_PER_HOUR['Student'])")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == [str(10 * MIB), "-1", str(100 * MIB), "3", "15"]
    env["PREAU_MAIL_MESSAGES_PER_HOUR_BY_PROFILE"] = "Pupil=3"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0 and "unknown key(s) Pupil" in result.stderr


def test_the_migration_counts_the_sends_of_the_last_day(personas):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "preau.messaging.migrations.0003_sending_limits_and_refused_attachments")
    p = personas
    recent = send(p.teacher, [f"user:{p.parent.pk}", f"user:{p.colleague.pk}"],
                  files=[("a.pdf", b"%PDF-1.4" + b"a" * 92)])
    with time_machine.travel(datetime.datetime.now(tz=PARIS) - datetime.timedelta(days=2)):
        old = send(p.teacher, [f"user:{p.parent.pk}"])
    Message.objects.update(recipient_count=0, recipient_bytes=0)
    migration.count_recent_sends(apps, None)
    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.recipient_count, recent.recipient_bytes) == (2, 200)
    assert (old.recipient_count, old.recipient_bytes) == (0, 0)  # out of every window


# -- query counts of the send path: fixed, whatever the number of people reached ------------


@pytest.mark.parametrize("extra", [0, 12])
def test_sending_to_a_group_takes_a_fixed_number_of_queries(personas, extra,
                                                            django_assert_num_queries):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    for index in range(extra):
        parents.members.add(make_user(f"Parent{index}", "Groupe", Profile.RELATIVE),
                            through_defaults={"source": "manual"})
    # Earlier messages in the windows: the counts read them, in one query.
    send(p.teacher, [f"user:{p.colleague.pk}"], files=[("a.pdf", b"%PDF-1.4 a")])
    message = draft(p.teacher, [f"group:{parents.pk}", f"user:{p.colleague.pk}"],
                    files=[("b.pdf", b"%PDF-1.4 b")])
    # 20 before the limits; +1 the sender's lock, +1 the counts of the last 24 hours.
    with django_assert_num_queries(22):
        check_send(p.teacher, message)
    assert MessageCopy.objects.filter(message=message).count() == 3 + extra


@pytest.mark.parametrize("extra", [0, 12])
def test_the_api_send_to_a_group_takes_a_fixed_number_of_queries(personas, extra,
                                                                 django_assert_num_queries):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    for index in range(extra):
        parents.members.add(make_user(f"Parent{index}", "Groupe", Profile.RELATIVE),
                            through_defaults={"source": "manual"})
    api = _api(p.teacher)
    api.get("/api/v1/mail/folders/")  # the session
    with django_assert_num_queries(29):  # 26 before the limits; + the participants listed
        response = api.post("/api/v1/mail/messages/", {"to": [f"group:{parents.pk}"],
                                                       "subject": "Sortie"})
    assert response.status_code == 201
    assert MessageCopy.objects.filter(message_id=response.json()["id"]).count() == 2 + extra
