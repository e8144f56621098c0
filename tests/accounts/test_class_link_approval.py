"""Power over pupils' accounts needs a class link the feed or an admin made, or a teacher's own
attachment that the head teacher approved (issue 11, "Accounts", first finding).

The finding: a teacher attached herself to another class of her school (the "Rattacher"
button), reset a pupil's password there, activated the account with the new code and read
the pupil's mail. Her own attachment still gives her the class in the Annuaire and lets her
write to it; resetting passwords and printing connection sheets (which hand out activation
codes) wait for the head teacher's approval.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from preau.accounts.models import Profile, Source, State, UserEvent
from preau.directory.access import class_account_rights
from preau.directory.actions import (
    DirectoryError,
    check_approve_class_attachment,
    check_attach_teacher_to_class,
    do_attach_to_structure,
)
from preau.directory.models import GroupKind, Membership, MembershipSource
from preau.messaging.models import Message, MessageCopy
from tests.accounts.helpers import text
from tests.messaging.helpers import send
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PENDING_WORDS = "attend l'approbation"


@pytest.fixture
def api_for(db):
    def make(user):
        client = APIClient()
        client.default_format = "json"
        if user is not None:
            client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
        return client

    return make


def _attach_herself(client_for, personas, teacher=None):
    """The finding's first step: the "Rattacher" button on the class page."""
    teacher = teacher or personas.colleague
    response = client_for(teacher).post(
        reverse("directory:attach_class", args=[personas.school_class.pk]))
    assert response.status_code == 302
    return _link(teacher, personas.school_class)


def _link(teacher, school_class) -> Membership:
    return Membership.objects.get(user=teacher, group__school_class=school_class,
                                  group__kind=GroupKind.CLASS, group__profile=Profile.TEACHER)


def _reset_url(person):
    return reverse("accounts:reset_password", args=[person.pk])


# The finding -------------------------------------------------------------------------------


def test_self_attached_teacher_cannot_reset_a_pupil_and_is_told_why(client_for, personas):
    _attach_herself(client_for, personas)
    client = client_for(personas.colleague)
    page = client.get(_reset_url(personas.pupil))
    assert page.status_code == 403
    assert PENDING_WORDS in text(page)
    response = client.post(_reset_url(personas.pupil))
    assert response.status_code == 403
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE
    assert personas.pupil.check_password(PASSWORD)
    assert not personas.pupil.events.filter(kind=UserEvent.Kind.PASSWORD_RESET).exists()


def test_self_attached_teacher_cannot_print_the_class_sheets(client_for, personas):
    _attach_herself(client_for, personas)
    personas.pupil.activation_code = "AbCd2345"
    personas.pupil.save()
    client = client_for(personas.colleague)
    for url in (reverse("accounts:class_sheets", args=[personas.school_class.pk]),
                reverse("accounts:class_sheets", args=[personas.school_class.pk])
                + "?profils=eleves,parents",
                reverse("accounts:user_sheet", args=[personas.pupil.pk])):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "AbCd2345" not in text(response)
        assert PENDING_WORDS in text(response)


def test_self_attached_teacher_cannot_reset_through_the_api(api_for, personas, client_for):
    _attach_herself(client_for, personas)
    url = f"/api/v1/people/{personas.pupil.pk}/reset-password/"
    response = api_for(personas.colleague).post(url)
    assert response.status_code == 403
    assert PENDING_WORDS in response.json()["detail"]
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE


def test_self_attached_teacher_keeps_what_the_guide_gives(client_for, personas):
    """Her class in the Annuaire and writing to it; the class page says why she has no
    reset links and that the head teacher must approve."""
    _attach_herself(client_for, personas)
    response = client_for(personas.colleague).get(
        reverse("directory:class", args=[personas.school_class.pk]))
    assert response.status_code == 200
    html = text(response)
    assert personas.colleague in response.context["roster"].teachers
    assert PENDING_WORDS in html
    assert _reset_url(personas.pupil) not in html
    assert reverse("accounts:class_sheets", args=[personas.school_class.pk]) not in html
    message = send(personas.colleague, [f"user:{personas.parent.pk}"])
    assert message.sent_at is not None


# Approval ----------------------------------------------------------------------------------


def test_head_teacher_is_told_and_sees_the_pending_attachment(client_for, personas):
    link = _attach_herself(client_for, personas)
    notice = Message.objects.get(sender=None, copies__user=personas.school_admin)
    assert "Paul Bernard" in notice.subject and "CM1 A" in notice.subject
    assert reverse("directory:class", args=[personas.school_class.pk]) in notice.body
    assert not MessageCopy.objects.filter(message=notice, user=personas.colleague).exists()
    page = client_for(personas.school_admin).get(
        reverse("directory:class", args=[personas.school_class.pk]))
    assert [row.pk for row in page.context["pending_links"]] == [link.pk]
    html = text(page)
    assert "Rattachements en attente de votre approbation" in html
    assert reverse("directory:approve_attachment", args=[link.pk]) in html
    console = client_for(personas.school_admin).get(
        reverse("console:school", args=[personas.school.pk]))
    assert [row.pk for row in console.context["pending_links"]] == [link.pk]
    assert reverse("directory:approve_attachment", args=[link.pk]) in text(console)


def test_approval_is_recorded_and_gives_the_power(client_for, personas):
    link = _attach_herself(client_for, personas)
    class_page = reverse("directory:class", args=[personas.school_class.pk])
    response = client_for(personas.school_admin).post(
        reverse("directory:approve_attachment", args=[link.pk]), {"next": class_page})
    assert response.status_code == 302 and response["Location"] == class_page
    link.refresh_from_db()
    assert link.approved_by == personas.school_admin
    assert link.approved_at is not None
    event = personas.colleague.events.get(kind=UserEvent.Kind.ATTACHMENT_APPROVED)
    assert event.actor == personas.school_admin
    assert event.details == {"class_id": personas.school_class.pk}
    client = client_for(personas.colleague)
    assert client.get(reverse("accounts:class_sheets",
                              args=[personas.school_class.pk])).status_code == 200
    assert client.post(_reset_url(personas.pupil)).status_code == 200
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.PENDING
    page = text(client.get(class_page))
    assert PENDING_WORDS not in page and _reset_url(personas.pupil) in page


def test_a_director_without_school_admin_row_approves(client_for, personas):
    director = make_user("Anne", "Leroy", Profile.TEACHER)
    do_attach_to_structure(director, personas.school, Source.AAF1D, is_director=True)
    link = _attach_herself(client_for, personas)
    assert MessageCopy.objects.filter(user=director, message__sender=None).exists()
    response = client_for(director).post(reverse("directory:approve_attachment",
                                                 args=[link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.approved_by == director


@pytest.mark.parametrize(("actor_name", "status"), [
    ("colleague", 403),  # the teacher herself sees her link, may not approve it
    ("teacher", 404), ("pupil", 404), ("parent", 404), ("guest", 404),
    ("other_teacher", 404), ("other_pupil", 404),
    ("school_admin", 302), ("ent_admin", 302),
])
def test_who_may_approve(client_for, personas, actor_name, status):
    link = _attach_herself(client_for, personas)
    response = client_for(getattr(personas, actor_name)).post(
        reverse("directory:approve_attachment", args=[link.pk]))
    assert response.status_code == status
    link.refresh_from_db()
    assert (link.approved_at is not None) == (status == 302)


@pytest.mark.parametrize(("actor_name", "status"), [
    ("colleague", 403), ("teacher", 404), ("parent", 404), ("other_teacher", 404),
    ("school_admin", 302), ("ent_admin", 302),
])
def test_who_may_remove(client_for, personas, actor_name, status):
    link = _attach_herself(client_for, personas)
    response = client_for(getattr(personas, actor_name)).post(
        reverse("directory:remove_attachment", args=[link.pk]))
    assert response.status_code == status
    assert Membership.objects.filter(pk=link.pk).exists() == (status != 302)


def test_removal_is_in_the_teachers_history(client_for, personas):
    link = _attach_herself(client_for, personas)
    client_for(personas.school_admin).post(reverse("directory:remove_attachment",
                                                   args=[link.pk]))
    event = personas.colleague.events.filter(kind=UserEvent.Kind.DETACHED).get()
    assert event.actor == personas.school_admin
    assert event.details == {"class_id": personas.school_class.pk}


def test_approving_twice_or_a_feed_link_is_refused(client_for, personas):
    link = _attach_herself(client_for, personas)
    check_approve_class_attachment(link, personas.school_admin)
    with pytest.raises(DirectoryError):
        check_approve_class_attachment(link, personas.school_admin)
    feed = Membership.objects.get(user=personas.pupil, group__school_class=personas.school_class,
                                  source=MembershipSource.FEED)
    with pytest.raises(DirectoryError):
        check_approve_class_attachment(feed, personas.school_admin)


# Links that need no approval ------------------------------------------------------------------


def test_an_admins_link_gives_the_power_at_once(client_for, personas):
    check_attach_teacher_to_class(personas.colleague, personas.school_class,
                                  personas.school_admin, as_admin=True)
    assert class_account_rights(personas.colleague, personas.school_class).can_manage
    assert client_for(personas.colleague).post(_reset_url(personas.pupil)).status_code == 200


def test_a_feed_link_gives_the_power(client_for, personas):
    assert client_for(personas.other_teacher).post(
        _reset_url(personas.other_pupil)).status_code == 200


def test_an_admin_attaching_a_self_attached_teacher_approves_her(client_for, personas):
    link = _attach_herself(client_for, personas)
    response = client_for(personas.school_admin).post(
        reverse("console:user_attach_class", args=[personas.colleague.pk]),
        {"school_class": personas.school_class.pk})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.approved_by == personas.school_admin


def test_a_head_teachers_own_attachment_is_approved_at_once(client_for, personas):
    director = make_user("Anne", "Leroy", Profile.TEACHER)
    do_attach_to_structure(director, personas.school, Source.AAF1D, is_director=True)
    link = _attach_herself(client_for, personas, teacher=director)
    assert link.approved_by == director and link.approved_at is not None
    assert not Message.objects.filter(sender=None).exists()  # nobody to ask


def test_the_console_user_page_shows_and_approves_a_pending_link(client_for, personas):
    link = _attach_herself(client_for, personas)
    client = client_for(personas.school_admin)
    page = text(client.get(reverse("console:user", args=[personas.colleague.pk])))
    assert "en attente de l'approbation du directeur" in page
    assert reverse("directory:approve_attachment", args=[link.pk]) in page
    client.post(reverse("directory:approve_attachment", args=[link.pk]))
    page = text(client.get(reverse("console:user", args=[personas.colleague.pk])))
    assert "approuvé par Sophie Durand" in page


# The API -----------------------------------------------------------------------------------


def test_api_lists_approves_and_removes(api_for, personas, client_for):
    link = _attach_herself(client_for, personas)
    head = api_for(personas.school_admin)
    listed = head.get("/api/v1/class-attachments/", {"pending": "true"}).json()["results"]
    assert [(row["id"], row["origin"], row["pending"]) for row in listed] == [
        (link.pk, "self", True)]
    assert listed[0]["teacher"]["id"] == personas.colleague.pk
    assert listed[0]["school_class"]["id"] == personas.school_class.pk
    own = api_for(personas.colleague).get("/api/v1/class-attachments/").json()["results"]
    assert [(row["id"], row["pending"]) for row in own] == [(link.pk, True)]
    assert api_for(personas.colleague).post(
        f"/api/v1/class-attachments/{link.pk}/approve/").status_code == 403
    assert api_for(personas.parent).post(
        f"/api/v1/class-attachments/{link.pk}/approve/").status_code == 404
    approved = head.post(f"/api/v1/class-attachments/{link.pk}/approve/")
    assert approved.status_code == 200
    assert approved.json()["pending"] is False
    assert approved.json()["approved_by"]["id"] == personas.school_admin.pk
    assert head.post(f"/api/v1/class-attachments/{link.pk}/approve/").status_code == 400
    assert head.delete(f"/api/v1/class-attachments/{link.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=link.pk).exists()


def test_api_lists_what_each_may_see(api_for, personas, client_for):
    link = _attach_herself(client_for, personas)
    teacher_link = _link(personas.teacher, personas.school_class)
    for name, expected in [
        ("school_admin", {link.pk, teacher_link.pk}),
        ("colleague", {link.pk}), ("teacher", {teacher_link.pk}),
        ("parent", set()), ("pupil", set()), ("other_teacher", {_link(
            personas.other_teacher, personas.other_class).pk}),
    ]:
        rows = api_for(getattr(personas, name)).get("/api/v1/class-attachments/").json()
        assert {row["id"] for row in rows["results"]} == expected, name
    assert api_for(None).get("/api/v1/class-attachments/").status_code == 401
    teacher_row = api_for(personas.teacher).get(
        f"/api/v1/class-attachments/{teacher_link.pk}/").json()
    assert (teacher_row["origin"], teacher_row["pending"]) == ("admin", False)
    not_pending = api_for(personas.school_admin).get("/api/v1/class-attachments/",
                                                     {"pending": "false"}).json()
    assert [row["id"] for row in not_pending["results"]] == [teacher_link.pk]


def test_api_teacher_detaches_herself_but_not_a_feed_link(api_for, personas, client_for):
    link = _attach_herself(client_for, personas)
    assert api_for(personas.colleague).delete(
        f"/api/v1/class-attachments/{link.pk}/").status_code == 204
    feed = _link(personas.other_teacher, personas.other_class)
    response = api_for(personas.ent_admin).delete(f"/api/v1/class-attachments/{feed.pk}/")
    assert response.status_code == 400
    assert Membership.objects.filter(pk=feed.pk).exists()


def test_api_list_query_count_does_not_grow(api_for, personas, client_for,
                                            django_assert_num_queries):
    head = api_for(personas.school_admin)
    _attach_herself(client_for, personas)
    head.get("/api/v1/class-attachments/")
    with django_assert_num_queries(4):  # session, user, count, page
        head.get("/api/v1/class-attachments/")
    for number in range(6):
        teacher = make_user("Prof", f"Nombreux{number}", Profile.TEACHER)
        do_attach_to_structure(teacher, personas.school)
        _attach_herself(client_for, personas, teacher=teacher)
    with django_assert_num_queries(4):
        rows = head.get("/api/v1/class-attachments/").json()
    assert rows["count"] == 8
