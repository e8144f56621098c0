from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from preau.directory.models import SchoolYear
from preau.documents.access import access_node
from preau.documents.actions import check_create_folder
from preau.messaging.models import Message, MessageCopy
from preau.sharing.actions import check_share
from preau.sharing.models import Right, Share
from preau.yearchange.banners import banners_for
from preau.yearchange.models import OwnerNotice, TransitionRun, YearCalendar
from preau.yearchange.owners import do_notify_owners, purgeable_shares

TODAY = timezone.localdate()


def _calendar(personas, *, transition: datetime.date) -> YearCalendar:
    new_year = SchoolYear.objects.create(name="2099-2100", start=transition + datetime.timedelta(9),
                                         end=transition + datetime.timedelta(320))
    return YearCalendar.objects.create(
        academy=personas.academy, school_year=new_year,
        end_of_year=transition - datetime.timedelta(days=48),
        first_teachers_feed=transition - datetime.timedelta(days=6), transition=transition,
        rentree=transition + datetime.timedelta(days=9),
        bascule_onde=transition + datetime.timedelta(days=17),
        first_families_feed=transition + datetime.timedelta(days=19))


@pytest.fixture
def class_share(personas):
    folder = check_create_folder(personas.teacher, "Cahier de la classe")
    pupils = personas.school_class.groups.get(profile="Student")
    check_share(personas.teacher, folder, groups=[pupils], rights=[Right.READ, Right.COMMENT])
    return folder


def test_owner_is_warned_fifteen_days_before(personas, class_share):
    calendar = _calendar(personas, transition=TODAY + datetime.timedelta(days=10))
    texts = [b.text for b in banners_for(personas.teacher, TODAY)]
    assert any("1" in t and calendar.transition.strftime("%d/%m/%Y") in t for t in texts)
    assert do_notify_owners(TODAY) == 1
    assert mail.outbox[0].to == [personas.teacher.academic_email]
    # The same notice in her Messagerie, from Préau itself, with the way to act.
    notice = MessageCopy.objects.get(user=personas.teacher, folder="inbox", is_unread=True)
    assert notice.message.sender is None
    assert notice.message.subject == mail.outbox[0].subject
    assert "1 de vos partages" in notice.message.subject
    assert "/changement-annee/mes-partages/" in notice.message.body
    assert do_notify_owners(TODAY) == 0  # once
    assert MessageCopy.objects.filter(user=personas.teacher).count() == 1


def test_an_owner_is_told_only_with_the_notice(personas, class_share, monkeypatch):
    _calendar(personas, transition=TODAY + datetime.timedelta(days=10))

    def broken(*args, **kwargs):
        raise RuntimeError("the Messagerie is down")

    monkeypatch.setattr("preau.yearchange.owners.do_deliver_notice", broken)
    with pytest.raises(RuntimeError):
        do_notify_owners(TODAY)
    assert not OwnerNotice.objects.exists()  # not recorded as told: the next run tells
    monkeypatch.undo()
    assert do_notify_owners(TODAY) == 1
    assert MessageCopy.objects.filter(user=personas.teacher).count() == 1


def test_a_notice_reads_as_from_preau_and_cannot_be_answered(client_for, personas,
                                                            class_share):
    _calendar(personas, transition=TODAY + datetime.timedelta(days=10))
    do_notify_owners(TODAY)
    notice = MessageCopy.objects.get(user=personas.teacher).message
    client = client_for(personas.teacher)
    listing = client.get("/messagerie/").content.decode()
    assert "Préau (message automatique)" in listing
    page = client.get(f"/messagerie/message/{notice.pk}/").content.decode()
    assert "Préau (message automatique)" in page and "Répondre" not in page
    assert "Transférer" in page
    refused = client.post(f"/messagerie/message/{notice.pk}/repondre/")
    assert refused.status_code in (302, 400)
    assert not Message.objects.filter(parent=notice).exists()
    api = client.get(f"/api/v1/mail/messages/{notice.pk}").json()
    assert api["sender"] is None


def test_no_warning_long_before(personas, class_share):
    _calendar(personas, transition=TODAY + datetime.timedelta(days=40))
    assert not any(b.link for b in banners_for(personas.teacher, TODAY))
    assert do_notify_owners(TODAY) == 0


def test_teacher_without_class_and_families_before_bascule(personas):
    _calendar(personas, transition=TODAY - datetime.timedelta(days=2))
    texts = [b.text for b in banners_for(personas.colleague, TODAY)]
    assert ("Vous serez rattaché(e) à votre classe dès qu'elle apparaîtra avec au moins un "
            "élève.") in texts
    assert any(t.startswith("Les classes de la nouvelle année apparaîtront après la bascule ONDE")
               for t in (b.text for b in banners_for(personas.parent, TODAY)))
    assert banners_for(personas.teacher, TODAY) == []  # she has her class


def test_home_shows_the_banner(client_for, personas):
    _calendar(personas, transition=TODAY - datetime.timedelta(days=2))
    page = client_for(personas.colleague).get("/").content.decode()
    assert "dès qu&#x27;elle apparaîtra avec au moins un élève" in page


def test_owner_turns_a_class_share_into_named_shares(client_for, personas, class_share):
    client = client_for(personas.teacher)
    page = client.get("/changement-annee/mes-partages/")
    assert "Cahier de la classe" in page.content.decode()
    share = Share.objects.get(group__isnull=False)
    response = client.post(f"/changement-annee/mes-partages/{share.pk}/nominatif/")
    assert response.status_code == 302
    assert not Share.objects.filter(group__isnull=False).exists()
    named = Share.objects.get(user=personas.pupil)
    assert named.rights == {Right.READ, Right.COMMENT}
    assert purgeable_shares(personas.teacher) == []


def test_owner_hands_over_to_next_year_teacher(client_for, personas, class_share):
    share = Share.objects.get(group__isnull=False)
    response = client_for(personas.teacher).post(
        f"/changement-annee/mes-partages/{share.pk}/enseignant/",
        {"teacher": personas.colleague.pk})
    assert response.status_code == 302
    assert Right.MANAGE in access_node(personas.colleague, class_share.pk).rights


def test_someone_else_cannot_act_on_my_share(client_for, personas, class_share):
    share = Share.objects.get(group__isnull=False)
    response = client_for(personas.colleague).post(
        f"/changement-annee/mes-partages/{share.pk}/nominatif/")
    assert response.status_code == 404
    assert Share.objects.filter(pk=share.pk).exists()


def test_console_plan_then_approve(client_for, personas, class_share, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(personas.ent_admin)
    assert client.get("/administration/changement-annee/").status_code == 200
    response = client.post("/administration/changement-annee/planifier/",
                           {"academy": personas.academy.pk})
    plan = TransitionRun.objects.get(status="planned")
    assert response.url == f"/administration/changement-annee/{plan.pk}/"
    page = client.get(response.url).content.decode()
    assert "Ce que fera la transition" in page
    row = page[page.index("Partages aux groupes de scolarité purgés"):]
    row = row[:row.index("</tr>")]
    assert '<td class="number">1</td><td>Espace documentaire : 1</td>' in row
    assert Share.objects.filter(group__isnull=False).exists()
    refused = client.post(f"/administration/changement-annee/{plan.pk}/approuver/", {})
    assert refused.status_code == 302 and not TransitionRun.objects.filter(plan=plan).exists()
    client.post(f"/administration/changement-annee/{plan.pk}/approuver/", {"confirm": "on"})
    run = TransitionRun.objects.get(plan=plan)
    assert run.status in ("done", "queued")


@pytest.mark.parametrize("who", ["school_admin", "teacher", "pupil"])
def test_console_is_for_ent_admins(client_for, personas, who):
    client = client_for(getattr(personas, who))
    assert client.get("/administration/changement-annee/").status_code == 403
    assert client.post("/administration/changement-annee/planifier/").status_code == 403


def test_calendar_form_saves_in_order(client_for, personas):
    client = client_for(personas.ent_admin)
    url = f"/administration/changement-annee/academies/{personas.academy.pk}/calendrier/"
    assert client.get(url).status_code == 200
    dates = {"end_of_year": "2024-07-06", "first_teachers_feed": "2024-08-20",
             "transition": "2024-08-24", "rentree": "2024-09-02", "bascule_onde": "2024-09-10",
             "first_families_feed": "2024-09-12"}
    assert client.post(url, dates).status_code == 302
    calendar = YearCalendar.objects.get()
    assert calendar.transition == datetime.date(2024, 8, 24)
    assert client.post(url, {**dates, "rentree": "2024-08-01"}).status_code == 200


def test_console_run_page_shows_the_audit(client_for, personas, class_share,
                                          django_assert_max_num_queries):
    from preau.yearchange.transition import run_transition

    run = run_transition(today=datetime.date(personas.year.end.year, 8, 24))
    pupils = personas.school_class.groups.get(profile="Student")
    client = client_for(personas.ent_admin)
    with django_assert_max_num_queries(10):  # not one more per entry or per share
        page = client.get(f"/administration/changement-annee/{run.pk}/").content.decode()
    assert "Journal d&#x27;audit" in page or "Journal d'audit" in page
    # The purged share, one line of a table: its resource, rights, author.
    assert f"1 partage à « {pupils.name} » :" in page
    share_row = page[page.index(f"1 partage à « {pupils.name} » :"):]
    share_row = share_row[share_row.index("<tbody>"):share_row.index("</tbody>")]
    # The resource by its name and link, the rights by their names, the date as a date.
    assert f'<a href="/documents/dossier/{class_share.pk}/">Cahier de la classe</a>' in share_row
    assert "<td>Espace documentaire</td>" in share_row
    assert "<td>Lecture, Commentaire</td>" in share_row
    assert f"<td>{personas.teacher.login}</td>" in share_row
    assert timezone.localtime(class_share.created_at).strftime("%d/%m/%Y") in share_row
    assert f"Classe « {personas.school_class.name} » archivée" in page
    assert "{&#x27;name&#x27;" not in page  # no raw details
    assert f"« {pupils.name} » : 1 appartenance" in page


def test_console_run_page_says_what_was_converted(client_for, personas, class_share):
    from preau.yearchange.transition import run_transition

    new_year = SchoolYear.objects.create(name="2024-2025", start=datetime.date(2024, 9, 1),
                                         end=datetime.date(2025, 7, 5))
    calendar = YearCalendar.objects.create(
        academy=personas.academy, school_year=new_year, end_of_year=datetime.date(2024, 7, 6),
        first_teachers_feed=datetime.date(2024, 8, 20), transition=datetime.date(2024, 8, 24),
        rentree=datetime.date(2024, 9, 2), bascule_onde=datetime.date(2024, 9, 10),
        first_families_feed=datetime.date(2024, 9, 12), convert_purged_shares=True)
    run = run_transition(today=calendar.transition)
    assert run.report["shares_converted"]["total"] == 1
    pupils = personas.school_class.groups.get(profile="Student")
    page = client_for(personas.ent_admin).get(
        f"/administration/changement-annee/{run.pk}/").content.decode()
    assert (f"« {pupils.name} » : ses 1 partage(s) transformé(s) en partages nominatifs en "
            "lecture pour son 1 membre") in page
