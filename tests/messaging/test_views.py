"""The Messagerie's pages: who may and who may not, the composer, and constant query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.accounts.models import Profile
from preau.documents.actions import quota_of
from preau.messaging.models import Message, MessageCopy, SystemFolder
from tests.messaging.helpers import class_group, copy_of, send
from tests.personas import make_user

PDF = b"%PDF-1.4\n" + b"x" * 91


def test_anonymous_visitors_go_to_the_login_page(client_for, personas):
    response = client_for(None).get(reverse("messaging:index"))
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_inbox_lists_unread_in_bold_and_the_layout_counts_them(client_for, personas):
    p = personas
    send(p.teacher, [f"user:{p.parent.pk}"], subject="Sortie au musée", files=[("a.pdf", PDF)])
    page = client_for(p.parent).get(reverse("messaging:index")).content.decode()
    assert "Sortie au musée" in page
    assert 'class="unread"' in page and "nav-count" in page
    assert "avec pièces jointes" in page


def test_reading_marks_read_and_shows_groups_then_people(client_for, personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    message = send(p.teacher, [f"user:{p.colleague.pk}", f"group:{parents.pk}"],
                   body="<p>Bonjour <script>alert(1)</script></p>")
    page = client_for(p.parent).get(reverse("messaging:message", args=[message.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index(parents.name) < text.index(p.colleague.full_name)
    assert "<script>alert" not in text
    assert not copy_of(p.parent, message).is_unread


@pytest.mark.parametrize("who", ["colleague", "pupil", "other_teacher", "ent_admin"])
def test_non_participants_get_404_everywhere(client_for, personas, who):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    attachment = message.attachments.get()
    client = client_for(getattr(p, who))
    for url in (reverse("messaging:message", args=[message.pk]),
                reverse("messaging:attachment", args=[message.pk, attachment.pk]),
                reverse("messaging:attachment_preview", args=[message.pk, attachment.pk]),
                reverse("messaging:draft", args=[message.pk])):
        assert client.get(url).status_code == 404
    for name in ("reply", "reply_all", "forward", "mark_unread", "trash", "restore",
                 "delete_for_good", "move"):
        assert client.post(reverse(f"messaging:{name}", args=[message.pk])).status_code == 404
    assert client.post(reverse("messaging:copy_attachment",
                               args=[message.pk, attachment.pk])).status_code == 404
    assert MessageCopy.objects.filter(message=message).count() == 2


def test_participants_download_attachments_under_the_safe_policy(client_for, personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"],
                   files=[("page.html", b"<html><script>alert(1)</script></html>")])
    attachment = message.attachments.get()
    for user in (p.teacher, p.parent):
        response = client_for(user).get(reverse("messaging:attachment_preview",
                                                args=[message.pk, attachment.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Content-Disposition"].startswith("attachment")


def test_someone_elses_draft_is_404(client_for, personas):
    p = personas
    client = client_for(p.teacher)
    client.post(reverse("messaging:compose"), {"to": [f"user:{p.parent.pk}"],
                                               "subject": "Brouillon", "action": "save"})
    draft = Message.objects.get()
    assert client.get(reverse("messaging:draft", args=[draft.pk])).status_code == 200
    assert client_for(p.parent).get(reverse("messaging:draft", args=[draft.pk])).status_code \
        == 404


def test_compose_search_save_send_with_attachments(client_for, personas):
    p = personas
    client = client_for(p.teacher)
    response = client.post(reverse("messaging:compose"), {
        "subject": "Réunion", "body": "Bonjour,\n\nà jeudi", "action": "search", "q": "martin",
        "files": [SimpleUploadedFile("ordre.pdf", PDF), SimpleUploadedFile("plan.txt", b"p")]})
    draft = Message.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert f'value="user:{p.parent.pk}"' in page and f'value="user:{p.pupil.pk}"' in page
    assert "ordre.pdf" in page and "plan.txt" in page
    assert f'value="user:{p.other_teacher.pk}"' not in page
    response = client.post(reverse("messaging:draft", args=[draft.pk]), {
        "to": [f"user:{p.parent.pk}"], "cc": [f"user:{p.colleague.pk}"], "subject": "Réunion",
        "body": draft.body, "action": "send"})
    assert response.status_code == 302 and response["Location"].endswith("/envoyes/")
    draft.refresh_from_db()
    assert not draft.is_draft
    assert copy_of(p.parent, draft).folder == SystemFolder.INBOX
    assert quota_of(p.colleague).used == len(PDF) + 1


def test_out_of_reach_recipient_is_refused_in_the_composer(client_for, personas):
    p = personas
    response = client_for(p.parent).post(reverse("messaging:compose"), {
        "to": [f"user:{p.other_teacher.pk}"], "subject": "x", "action": "send"})
    assert response.status_code == 400
    assert "hors de votre portée" in response.content.decode()
    assert not Message.objects.exists()


def test_full_recipient_refuses_the_send_in_the_composer(client_for, personas):
    from preau.documents.actions import do_set_user_quota

    p = personas
    do_set_user_quota(p.parent, 10)
    client = client_for(p.teacher)
    response = client.post(reverse("messaging:compose"), {
        "to": [f"user:{p.parent.pk}"], "subject": "x", "action": "send",
        "files": [SimpleUploadedFile("a.pdf", PDF)]}, follow=True)
    text = response.content.decode()
    assert p.parent.full_name in text
    draft = Message.objects.get()
    assert draft.is_draft and not MessageCopy.objects.filter(user=p.parent).exists()


def test_trash_restore_delete_for_good_and_empty(client_for, personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    client = client_for(p.parent)
    client.post(reverse("messaging:trash", args=[message.pk]))
    assert copy_of(p.parent, message).is_trashed
    trash = client.get(reverse("messaging:folder", args=["corbeille"])).content.decode()
    assert message.subject in trash
    client.post(reverse("messaging:restore", args=[message.pk]))
    assert not copy_of(p.parent, message).is_trashed
    client.post(reverse("messaging:trash", args=[message.pk]))
    assert quota_of(p.parent).used == len(PDF)
    client.post(reverse("messaging:empty_trash"))
    assert quota_of(p.parent).used == 0
    assert copy_of(p.teacher, message)  # the sender keeps theirs


def test_reply_forward_mark_unread_and_folders(client_for, personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], subject="Sortie",
                   files=[("a.pdf", PDF)])
    client = client_for(p.parent)
    response = client.post(reverse("messaging:reply", args=[message.pk]))
    reply = Message.objects.exclude(pk=message.pk).get()
    assert response["Location"] == reverse("messaging:draft", args=[reply.pk])
    assert reply.subject == "Re : Sortie"
    client.post(reverse("messaging:forward", args=[message.pk]))
    assert Message.objects.filter(subject="Tr : Sortie", attachments__name="a.pdf").exists()
    client.post(reverse("messaging:mark_unread", args=[message.pk]))
    assert copy_of(p.parent, message).is_unread
    client.post(reverse("messaging:create_folder"), {"name": "École"})
    folder = p.parent.mail_folders.get()
    client.post(reverse("messaging:move", args=[message.pk]), {"folder": folder.pk})
    assert copy_of(p.parent, message).mail_folder == folder
    page = client.get(reverse("messaging:own_folder", args=[folder.pk])).content.decode()
    assert "Sortie" in page
    client.post(reverse("messaging:rename_folder", args=[folder.pk]), {"name": "Classe"})
    assert p.parent.mail_folders.get().name == "Classe"
    assert client_for(p.teacher).get(
        reverse("messaging:own_folder", args=[folder.pk])).status_code == 404
    client.post(reverse("messaging:delete_folder", args=[folder.pk]))
    assert copy_of(p.parent, message).mail_folder is None


def test_copy_attachment_to_documents(client_for, personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    client_for(p.parent).post(reverse("messaging:copy_attachment",
                                      args=[message.pk, message.attachments.get().pk]))
    assert p.parent.nodes.get().name == "a.pdf"


# -- query counts: constant whatever the number of messages and recipients --------------------


def _many(personas, count: int) -> None:
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    for index in range(count):
        extra = make_user(f"Parent{index}", "Test", Profile.RELATIVE)
        parents.members.add(extra, through_defaults={"source": "manual"})
    for index in range(count):
        send(p.teacher, [f"group:{parents.pk}", f"user:{p.colleague.pk}"],
             subject=f"Message {index}", files=[("a.pdf", PDF)])
        send(p.colleague, [f"user:{p.teacher.pk}"], subject=f"Réponse {index}")


@pytest.mark.parametrize("count", [1, 6])
def test_hot_pages_query_counts_are_constant(client_for, personas, count,
                                             django_assert_num_queries):
    p = personas
    _many(personas, count)
    client = client_for(p.teacher)
    message = Message.objects.filter(sender=p.teacher).first()
    assert message is not None
    client.get(reverse("messaging:index"))  # warm the session
    with django_assert_num_queries(9):
        assert client.get(reverse("messaging:index")).status_code == 200
    with django_assert_num_queries(9):
        assert client.get(reverse("messaging:folder", args=["envoyes"])).status_code == 200
    with django_assert_num_queries(10):
        assert client.get(reverse("messaging:message", args=[message.pk])).status_code == 200
    # A recipient's first reading: + marking it read, the rules, the other holders flagged
    # seen or not (one query, here none)...
    received = Message.objects.filter(sender=p.colleague).first()
    assert received is not None
    with django_assert_num_queries(12):
        assert client.get(reverse("messaging:message", args=[received.pk])).status_code == 200
    # ... and the people seen, loaded in one more query whatever their number (a colleague
    # Cc'd on a message to the class's parents sees every family it reached).
    colleague = client_for(p.colleague)
    colleague.get(reverse("messaging:index"))  # warm the session
    with django_assert_num_queries(13):
        page = colleague.get(reverse("messaging:message", args=[message.pk]))
        assert page.status_code == 200


def _spaces(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_console_shows_attachments_in_the_accounts_usage(client_for, personas):
    """The console's figure is the same counter: received attachments count, until the
    recipient deletes the message for good."""
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("photo.bin", b"m" * 1024**2)])
    url = reverse("console:user", args=[p.parent.pk])
    page = _spaces(client_for(p.ent_admin).get(url).content.decode())
    assert "<dt>Utilisé</dt><dd>1 Mo (0 %)</dd>" in page
    assert "les pièces jointes des messages" in page
    copy = copy_of(p.parent, message)
    from preau.messaging.actions import check_trash, do_empty_trash

    check_trash(p.parent, [copy])
    do_empty_trash(p.parent)
    page = _spaces(client_for(p.ent_admin).get(url).content.decode())
    assert "<dt>Utilisé</dt><dd>0 octet (0 %)</dd>" in page


def test_recipient_search_offers_only_who_is_within_reach(client_for, personas):
    p = personas
    url = reverse("messaging:recipients")
    assert client_for(None).get(url, {"q": "martin"}).status_code == 302
    page = client_for(p.parent).get(url, {"q": "petit"}).content.decode()
    assert f'value="user:{p.teacher.pk}"' in page  # her child's teacher
    page = client_for(p.parent).get(url, {"q": "moreau"}).content.decode()
    assert "user:" not in page and "Personne à votre portée" in page
    parents = class_group(p.school_class, Profile.RELATIVE)
    page = client_for(p.teacher).get(url, {"q": "parents"}).content.decode()
    assert f'value="group:{parents.pk}"' in page
    other = class_group(p.other_class, Profile.RELATIVE)
    assert f'value="group:{other.pk}"' not in page


def test_after_the_year_change_the_message_page_shows_the_group_label_and_the_names(
        client_for, personas):
    import datetime

    from preau.yearchange.transition import run_transition

    p = personas
    pupils = class_group(p.school_class, Profile.STUDENT)
    message = send(p.teacher, [f"group:{pupils.pk}"], subject="Fête de fin d'année")
    run_transition(today=datetime.date(2024, 8, 24))
    for user in (p.teacher, p.pupil):
        inbox = "envoyes" if user == p.teacher else "reception"
        listing = client_for(user).get(reverse("messaging:folder", args=[inbox]))
        assert "Fête de fin d&#x27;année" in listing.content.decode()
        page = client_for(user).get(reverse("messaging:message", args=[message.pk]))
        text = page.content.decode()
        assert pupils.name in text and p.pupil.full_name in text


def test_a_too_large_attachment_saves_nothing(client_for, personas, settings):
    p = personas
    settings.PREAU_UPLOAD_MAX_BYTES = 50
    client = client_for(p.teacher)
    client.post(reverse("messaging:compose"), {"to": [f"user:{p.parent.pk}"],
                                               "subject": "Avant", "action": "save"})
    draft = Message.objects.get()
    response = client.post(reverse("messaging:draft", args=[draft.pk]), {
        "files": [SimpleUploadedFile("gros.bin", b"x" * 500)], "subject": "Après",
        "action": "send"}, follow=True)
    assert "« gros.bin » est trop volumineux pour être joint" in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "Avant" and draft.is_draft and not draft.attachments.exists()
