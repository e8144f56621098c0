"""A recipient may refuse to keep an attachment (issue 11): it leaves their copy only, its
bytes come back to their quota at once, the others keep it; the bytes go with the last
holder. Through the action, the message page and the API."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from preau.accounts.models import User
from preau.documents import storage
from preau.documents.actions import quota_of, recount_quota
from preau.messaging.access import access_attachment, access_copy
from preau.messaging.actions import (
    MessagingError,
    check_copy_to_documents,
    check_delete_for_good,
    check_forward,
    check_refuse_attachment,
    check_trash,
    do_empty_trash,
)
from preau.messaging.models import Attachment, Message, MessageCopy, RefusedAttachment
from tests.messaging.helpers import copy_of, draft, send

PDF = b"%PDF-1.4\n" + b"x" * 991  # 1000 bytes
TXT = b"t" * 500
API = "/api/v1/mail"


def _api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
    return client


def _three_way(p) -> Message:
    return send(p.teacher, [f"user:{p.parent.pk}", f"user:{p.colleague.pk}"],
                files=[("sortie.pdf", PDF), ("liste.txt", TXT)])


def test_refusing_frees_exactly_its_bytes_and_only_for_that_recipient(personas):
    p = personas
    message = _three_way(p)
    pdf, txt = message.attachments.order_by("pk")
    for user in (p.teacher, p.parent, p.colleague):
        assert quota_of(user).used == 1500
    assert check_refuse_attachment(p.parent, copy_of(p.parent, message), pdf) == 1000
    assert quota_of(p.parent).used == 500 == recount_quota(p.parent.pk)
    assert copy_of(p.parent, message).charged == 500
    # The message stays in her inbox, unread as it was; the other file is still hers.
    parent_copy = access_copy(p.parent, message.pk)
    assert not parent_copy.is_trashed and parent_copy.is_unread
    assert access_attachment(p.parent, message.pk, txt.pk) == txt
    with pytest.raises(Http404):
        access_attachment(p.parent, message.pk, pdf.pk)
    # The others keep it, and their charge.
    for user in (p.teacher, p.colleague):
        assert quota_of(user).used == 1500 == recount_quota(user.pk)
        assert access_attachment(user, message.pk, pdf.pk) == pdf
    assert storage.exists(pdf.blob_key)
    # Deleting the message for good later gives back the rest, not the refused bytes twice.
    check_trash(p.parent, [copy_of(p.parent, message)])
    assert do_empty_trash(p.parent) == 500
    assert quota_of(p.parent).used == 0 == recount_quota(p.parent.pk)


def test_the_last_holder_removing_it_deletes_the_blob(personas,
                                                      django_capture_on_commit_callbacks):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    for user in (p.parent, p.colleague):
        with django_capture_on_commit_callbacks(execute=True):
            check_refuse_attachment(user, copy_of(user, message), pdf)
        assert storage.exists(pdf.blob_key)  # the sender still holds it
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert check_refuse_attachment(p.teacher, copy_of(p.teacher, message), pdf) == 1000
    assert len(callbacks) == 1
    assert not storage.exists(pdf.blob_key)
    assert not Attachment.objects.filter(pk=pdf.pk).exists()
    assert not RefusedAttachment.objects.exists()
    message.refresh_from_db()
    assert message.attachments_size == 500  # the other file
    assert [a.name for a in message.attachments.all()] == ["liste.txt"]
    for user in (p.teacher, p.parent, p.colleague):
        assert quota_of(user).used == 500 == recount_quota(user.pk)
        assert access_copy(user, message.pk)  # everyone still has the message


def test_the_blob_goes_when_the_others_delete_the_message_for_good(
        personas, django_capture_on_commit_callbacks):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("sortie.pdf", PDF)])
    pdf = message.attachments.get()
    check_refuse_attachment(p.parent, copy_of(p.parent, message), pdf)
    check_trash(p.teacher, [copy_of(p.teacher, message)])
    with django_capture_on_commit_callbacks(execute=True):
        check_delete_for_good(p.teacher, [copy_of(p.teacher, message)])
    # The parent still has the message, but nobody holds the attachment: its bytes go.
    assert access_copy(p.parent, message.pk)
    assert not storage.exists(pdf.blob_key)
    assert not Attachment.objects.filter(pk=pdf.pk).exists()
    assert Message.objects.get(pk=message.pk).attachments_size == 0


def test_a_refused_attachment_cannot_be_refused_twice_forwarded_or_copied(personas):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    copy = copy_of(p.parent, message)
    check_refuse_attachment(p.parent, copy, pdf)
    with pytest.raises(MessagingError, match="n’est plus dans votre exemplaire"):  # noqa: RUF001
        check_refuse_attachment(p.parent, copy_of(p.parent, message), pdf)
    assert quota_of(p.parent).used == 500
    with pytest.raises(MessagingError):
        check_copy_to_documents(p.parent, pdf)
    forward = check_forward(p.parent, copy_of(p.parent, message))
    assert [a.name for a in forward.attachments.all()] == ["liste.txt"]
    assert quota_of(p.parent).used == 500 + 500  # what she holds, and the forward's copy


def test_only_my_own_copy_and_never_a_draft(personas):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    # Someone else's copy, even handed over by code, is refused.
    with pytest.raises(MessagingError):
        check_refuse_attachment(p.parent, copy_of(p.colleague, message), pdf)
    other = send(p.teacher, [f"user:{p.parent.pk}"], files=[("autre.pdf", PDF)])
    with pytest.raises(MessagingError):  # an attachment of another message
        check_refuse_attachment(p.parent, copy_of(p.parent, message),
                                other.attachments.get())
    mine = draft(p.teacher, [f"user:{p.parent.pk}"], files=[("b.pdf", PDF)])
    with pytest.raises(MessagingError, match="brouillon"):
        check_refuse_attachment(p.teacher, copy_of(p.teacher, mine), mine.attachments.get())
    assert not RefusedAttachment.objects.exists()
    assert quota_of(p.colleague).used == 1500


# -- the message page ---------------------------------------------------------------------


def test_the_message_page_offers_remove_next_to_each_attachment(personas, client_for):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    client = client_for(p.parent)
    url = reverse("messaging:refuse_attachment", args=[message.pk, pdf.pk])
    page = client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    assert f'action="{url}"' in page
    assert "Retirer<span class=\"visually-hidden\"> sortie.pdf</span>" in page
    assert "Retirer « sortie.pdf » de votre exemplaire du message ?" in page
    response = client.post(url, follow=True)
    text = response.content.decode().replace("\xa0", " ")
    assert "« sortie.pdf » a été retirée de votre exemplaire du message : 1000 octets libérés" \
        in text
    assert "sortie.pdf (1000 octets) — retirée de votre exemplaire" in text
    assert f'action="{url}"' not in text
    assert quota_of(p.parent).used == 500
    # Downloading it now is a 404 for her, not for the colleague.
    download = reverse("messaging:attachment", args=[message.pk, pdf.pk])
    assert client.get(download).status_code == 404
    assert client_for(p.colleague).get(download).status_code == 200
    # A second post is a 404: she no longer holds it.
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("who", ["pupil", "other_teacher", "ent_admin", "school_admin"])
def test_nobody_removes_an_attachment_from_someone_elses_copy(personas, client_for, who):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    user = getattr(p, who)
    assert client_for(user).post(
        reverse("messaging:refuse_attachment", args=[message.pk, pdf.pk])).status_code == 404
    assert _api(user).delete(f"{API}/messages/{message.pk}/attachments/{pdf.pk}/") \
        .status_code == 404
    assert not RefusedAttachment.objects.exists()
    assert quota_of(p.parent).used == quota_of(p.colleague).used == 1500


def test_anonymous_visitors_cannot_remove_attachments(personas, client_for):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    response = client_for(None).post(
        reverse("messaging:refuse_attachment", args=[message.pk, pdf.pk]))
    assert response.status_code == 302 and "/compte/" in response["Location"]
    assert _api(None).delete(f"{API}/messages/{message.pk}/attachments/{pdf.pk}/") \
        .status_code == 401
    assert not RefusedAttachment.objects.exists()


def test_the_page_asks_for_post(personas, client_for):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    assert client_for(p.parent).get(
        reverse("messaging:refuse_attachment", args=[message.pk, pdf.pk])).status_code == 405


# -- the API --------------------------------------------------------------------------------


def test_the_api_refuses_an_attachment_and_shows_it_refused(personas):
    p = personas
    message = _three_way(p)
    pdf = message.attachments.get(name="sortie.pdf")
    api = _api(p.parent)
    url = f"{API}/messages/{message.pk}/attachments/{pdf.pk}/"
    assert api.delete(url).json() == {"freed": 1000}
    assert quota_of(p.parent).used == 500
    detail = api.get(f"{API}/messages/{message.pk}/").json()
    assert [(a["name"], a["refused"]) for a in detail["attachments"]] == [
        ("sortie.pdf", True), ("liste.txt", False)]
    assert api.get(f"{url}content/").status_code == 404
    assert api.delete(url).status_code == 404
    # The colleague still holds it.
    colleague = _api(p.colleague)
    assert colleague.get(f"{url}content/").status_code == 200
    assert [a["refused"] for a in colleague.get(f"{API}/messages/{message.pk}/").json()[
        "attachments"]] == [False, False]
    # A draft's attachment is not refused this way (400, the draft's own endpoint removes it).
    mine = draft(p.parent, [f"user:{p.teacher.pk}"], files=[("b.pdf", PDF)])
    refused = api.delete(f"{API}/messages/{mine.pk}/attachments/{mine.attachments.get().pk}/")
    assert refused.status_code == 400 and "brouillon" in refused.json()["detail"]
    assert MessageCopy.objects.filter(message=mine).get().charged == 1000
