"""The Messagerie's API: the same rules as the pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from preau.accounts.models import Profile
from preau.documents.actions import do_set_user_quota, quota_of
from preau.messaging.models import Message, MessageCopy
from tests.messaging.helpers import class_group, send

PDF = b"%PDF-1.4\n" + b"y" * 91
API = "/api/v1/mail"


def test_folders_with_counts(api_for, personas):
    p = personas
    send(p.teacher, [f"user:{p.parent.pk}"])
    rows = api_for(p.parent).get(f"{API}/folders/").json()
    assert [r["key"] for r in rows] == ["inbox", "sent", "drafts", "trash"]
    assert rows[0] == {"key": "inbox", "name": "Réception", "own": False, "total": 1, "unread": 1}
    made = api_for(p.parent).post(f"{API}/folders/", {"name": "École"})
    assert made.status_code == 201 and made.json()["own"]


def test_send_to_a_group_list_and_read(api_for, personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    response = api_for(p.teacher).post(f"{API}/messages/", {
        "to": [f"group:{parents.pk}"], "cc": [f"user:{p.colleague.pk}"],
        "subject": "Sortie", "body": "<p>Bonjour<script>x</script></p>"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["folder"] == "sent" and data["body"] == "<p>Bonjour</p>"
    assert data["addresses"][0] == {"field": "to", "kind": "group", "target_id": parents.pk,
                                    "label": parents.name}
    listing = api_for(p.parent).get(f"{API}/folders/inbox/messages/").json()
    assert listing["count"] == 1 and listing["results"][0]["unread"]
    message_id = listing["results"][0]["id"]
    read = api_for(p.parent).get(f"{API}/messages/{message_id}/").json()
    assert read["text"] == "Bonjour" and not read["unread"]


def test_out_of_reach_is_refused_with_a_message(api_for, personas):
    p = personas
    response = api_for(p.parent).post(f"{API}/messages/", {
        "to": [f"user:{p.other_teacher.pk}"], "subject": "x"})
    assert response.status_code == 400
    assert f"user:{p.other_teacher.pk}" in response.json()["detail"]
    assert not Message.objects.exists()


def test_draft_attachments_send_and_full_recipient(api_for, personas):
    p = personas
    client = api_for(p.teacher)
    draft = client.post(f"{API}/drafts/", {"to": [f"user:{p.parent.pk}"],
                                           "subject": "PJ"}).json()
    upload = client.post(f"{API}/drafts/{draft['id']}/attachments/",
                         {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart")
    assert upload.status_code == 201 and upload.json()["size"] == len(PDF)
    do_set_user_quota(p.parent, 10)
    refused = client.post(f"{API}/drafts/{draft['id']}/send/")
    assert refused.status_code == 413 and refused.json()["names"] == [p.parent.full_name]
    assert Message.objects.get().is_draft
    do_set_user_quota(p.parent, None)
    sent = client.post(f"{API}/drafts/{draft['id']}/send/")
    assert sent.status_code == 200 and sent.json()["folder"] == "sent"
    assert quota_of(p.parent).used == len(PDF)
    attachment_id = sent.json()["attachments"][0]["id"]
    content = api_for(p.parent).get(
        f"{API}/messages/{draft['id']}/attachments/{attachment_id}/content/")
    assert content.status_code == 200
    assert b"".join(content.streaming_content if content.streaming else [content.content]) \
        == PDF


def test_trash_restore_move_unread_delete_for_good_and_empty(api_for, personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    client = api_for(p.parent)
    url = f"{API}/messages/{message.pk}"
    assert client.delete(f"{url}/").status_code == 400  # not in the trash
    assert client.post(f"{url}/trash/").json()["folder"] == "trash"
    assert client.post(f"{url}/restore/").json()["folder"] == "inbox"
    folder = client.post(f"{API}/folders/", {"name": "Classe"}).json()
    assert client.post(f"{url}/move/", {"folder": int(folder["key"])}).json()["folder"] \
        == folder["key"]
    assert client.post(f"{url}/unread/").json()["unread"]
    client.post(f"{url}/trash/")
    assert quota_of(p.parent).used == len(PDF)
    assert client.delete(f"{url}/").json() == {"freed": len(PDF)}
    assert quota_of(p.parent).used == 0
    other = send(p.teacher, [f"user:{p.parent.pk}"], files=[("b.pdf", PDF)])
    client.post(f"{API}/messages/{other.pk}/trash/")
    assert client.post(f"{API}/trash/empty/").json() == {"freed": len(PDF)}
    assert MessageCopy.objects.filter(user=p.teacher).count() == 2


@pytest.mark.parametrize("who", ["colleague", "pupil", "other_teacher", "ent_admin"])
def test_non_participants_get_404(api_for, personas, who):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    attachment = message.attachments.get()
    client = api_for(getattr(p, who))
    url = f"{API}/messages/{message.pk}"
    assert client.get(f"{url}/").status_code == 404
    assert client.get(f"{url}/attachments/{attachment.pk}/content/").status_code == 404
    for action in ("trash", "restore", "unread"):
        assert client.post(f"{url}/{action}/").status_code == 404
    assert client.delete(f"{url}/").status_code == 404
    assert client.post(f"{API}/drafts/{message.pk}/send/").status_code == 404


def test_anonymous_callers_get_401(api_for, personas):
    assert api_for(None).get(f"{API}/folders/").status_code == 401


@pytest.mark.parametrize("count", [1, 5])
def test_folder_listing_query_count_is_constant(api_for, personas, count,
                                                django_assert_num_queries):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    for index in range(count):
        send(p.colleague, [f"user:{p.teacher.pk}", f"group:{parents.pk}"],
             subject=f"M{index}", files=[("a.pdf", PDF)])
    client = api_for(p.teacher)
    client.get(f"{API}/folders/")
    with django_assert_num_queries(5):
        assert client.get(f"{API}/folders/inbox/messages/").json()["count"] == count
