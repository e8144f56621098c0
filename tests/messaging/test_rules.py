"""The Messagerie's domain rules (DOMAIN.md, the year-change guide), through the actions."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from preau.accounts.models import Profile
from preau.directory.models import Group, GroupKind, Membership, MembershipSource
from preau.documents import storage
from preau.documents.actions import do_set_user_quota, quota_of, recount_quota
from preau.documents.models import App, Node
from preau.messaging.access import access_attachment, access_copy
from preau.messaging.actions import (
    MessagingError,
    RecipientsFull,
    check_add_attachment,
    check_copy_to_documents,
    check_create_folder,
    check_delete_folder,
    check_delete_for_good,
    check_forward,
    check_move,
    check_remove_attachment,
    check_rename_folder,
    check_reply,
    check_restore,
    check_save_draft,
    check_send,
    check_trash,
    do_empty_trash,
)
from preau.messaging.models import Address, Attachment, Message, MessageCopy, SystemFolder
from preau.messaging.text import safe_html
from preau.yearchange.transition import run_transition
from tests.messaging.helpers import class_group, copy_of, draft, send

PDF = b"%PDF-1.4\n" + b"x" * 991  # 1000 bytes


def blobs_exist(message_id: int) -> list[bool]:
    return [storage.exists(k) for k in
            Attachment.objects.filter(message_id=message_id).values_list("blob_key", flat=True)]


# -- one message, copies per participant, groups expanded at send time ------------------------


def test_group_recipients_are_expanded_once_at_send_time(personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    message = send(p.teacher, [f"group:{parents.pk}", f"user:{p.colleague.pk}"])
    assert Message.objects.count() == 1
    copies = {c.user_id: c for c in MessageCopy.objects.filter(message=message)}
    assert set(copies) == {p.teacher.pk, p.parent.pk, p.colleague.pk}
    assert copies[p.teacher.pk].folder == SystemFolder.SENT
    assert not copies[p.teacher.pk].is_unread
    assert copies[p.parent.pk].folder == SystemFolder.INBOX and copies[p.parent.pk].is_unread
    # A parent joining the group later does not receive the message sent before.
    late = Membership.objects.create(group=parents, user=p.guest, source=MembershipSource.MANUAL)
    assert not MessageCopy.objects.filter(message=message, user=late.user).exists()
    group_address = Address.objects.get(message=message, group=parents)
    assert group_address.label == parents.name


def test_recipients_only_within_reach(personas):
    p = personas
    # A parent reaches their child's teacher, not a teacher of another school.
    with pytest.raises(MessagingError, match=f"user:{p.other_teacher.pk}"):
        check_save_draft(p.parent, None, to=[f"user:{p.other_teacher.pk}"], subject="x")
    # A pupil may not write to another pupil (rule disabled by default) nor to a school group.
    with pytest.raises(MessagingError):
        check_save_draft(p.pupil, None, to=[f"user:{p.other_pupil.pk}"])
    other_class = class_group(p.other_class, Profile.STUDENT)
    with pytest.raises(MessagingError, match="hors de votre portée"):
        check_save_draft(p.teacher, None, to=[f"group:{other_class.pk}"])
    with pytest.raises(MessagingError):
        check_save_draft(p.teacher, None, to=["nobody:1"])
    assert not Message.objects.exists()
    # What is within reach goes.
    assert send(p.parent, [f"user:{p.teacher.pk}"]).sent_at is not None


def test_a_recipient_out_of_reach_at_send_time_is_refused_and_the_draft_kept(personas):
    p = personas
    message = draft(p.parent, [f"user:{p.teacher.pk}"])
    Membership.objects.filter(user=p.teacher).delete()  # no longer the child's teacher
    with pytest.raises(MessagingError, match=p.teacher.full_name):
        check_send(p.parent, message)
    message.refresh_from_db()
    assert message.is_draft
    assert copy_of(p.parent, message).folder == SystemFolder.DRAFTS


def test_only_participants_see_a_message_and_its_attachments(personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("sortie.pdf", PDF)])
    attachment = message.attachments.get()
    for user in (p.teacher, p.parent):
        assert access_copy(user, message.pk).message == message
        assert access_attachment(user, message.pk, attachment.pk) == attachment
    for user in (p.colleague, p.pupil, p.ent_admin, p.school_admin):
        with pytest.raises(Http404):
            access_copy(user, message.pk)
        with pytest.raises(Http404):
            access_attachment(user, message.pk, attachment.pk)


# -- trash, delete for good, the last copy ------------------------------------------------


def test_deleting_for_good_removes_only_my_copy_and_the_last_one_removes_the_message(
        personas, django_capture_on_commit_callbacks):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}", f"user:{p.colleague.pk}"],
                   files=[("sortie.pdf", PDF)])
    key = message.attachments.get().blob_key
    check_trash(p.parent, [copy_of(p.parent, message)])
    parent_copy = copy_of(p.parent, message)
    assert parent_copy.is_trashed and parent_copy.folder == SystemFolder.INBOX
    with pytest.raises(MessagingError):  # only from the trash
        check_delete_for_good(p.colleague, [copy_of(p.colleague, message)])
    check_delete_for_good(p.parent, [parent_copy])
    assert not MessageCopy.objects.filter(user=p.parent).exists()
    assert access_copy(p.colleague, message.pk) and access_copy(p.teacher, message.pk)
    assert blobs_exist(message.pk) == [True]
    for user in (p.teacher, p.colleague):
        check_trash(user, [copy_of(user, message)])
        with django_capture_on_commit_callbacks(execute=True):
            do_empty_trash(user)
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not Attachment.objects.exists()
    assert not storage.exists(key)


def test_last_copy_takes_the_attachment_bytes_away(personas, django_capture_on_commit_callbacks):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    key = message.attachments.get().blob_key
    for user in (p.teacher, p.parent):
        check_trash(user, [copy_of(user, message)])
        with django_capture_on_commit_callbacks(execute=True):
            do_empty_trash(user)
    assert not storage.exists(key)


def test_restore_puts_a_message_back_where_it_was(personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"])
    folder = check_create_folder(p.parent, "École")
    check_move(p.parent, copy_of(p.parent, message), folder)
    check_trash(p.parent, [copy_of(p.parent, message)])
    check_restore(p.parent, [copy_of(p.parent, message)])
    restored = copy_of(p.parent, message)
    assert not restored.is_trashed and restored.mail_folder == folder


# -- quotas -------------------------------------------------------------------------------


def test_attachments_count_for_the_sender_and_every_recipient(personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    send(p.teacher, [f"group:{parents.pk}", f"user:{p.colleague.pk}"],
         files=[("a.pdf", PDF), ("b.txt", b"hello")])
    for user in (p.teacher, p.parent, p.colleague):
        assert quota_of(user).used == 1005 == recount_quota(user.pk)
    assert quota_of(p.pupil).used == 0


def test_guide_freeing_space_delete_received_and_sent_then_empty_the_trash(personas):
    """« MESSAGERIE : effacer les messages reçus et envoyés », then « aller dans le dossier
    Corbeille et supprimer définitivement »: the space comes back only at the second step."""
    p = personas
    sent = send(p.teacher, [f"user:{p.colleague.pk}"], files=[("sent.pdf", PDF)])
    received = send(p.colleague, [f"user:{p.teacher.pk}"], files=[("rcvd.txt", b"x" * 500)])
    assert quota_of(p.teacher).used == 1500
    check_trash(p.teacher, [copy_of(p.teacher, sent), copy_of(p.teacher, received)])
    assert quota_of(p.teacher).used == 1500  # the trash still counts
    assert do_empty_trash(p.teacher) == 1500
    assert quota_of(p.teacher).used == 0 == recount_quota(p.teacher.pk)
    # The colleague keeps both messages and their charge.
    assert quota_of(p.colleague).used == 1500
    assert access_copy(p.colleague, sent.pk) and access_copy(p.colleague, received.pk)


def test_a_full_recipient_refuses_the_whole_send_and_names_them(personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    do_set_user_quota(p.parent, 500)
    message = draft(p.teacher, [f"group:{parents.pk}", f"user:{p.colleague.pk}"],
                    files=[("a.pdf", PDF)])
    with pytest.raises(RecipientsFull) as refused:
        check_send(p.teacher, message)
    assert refused.value.names == [p.parent.full_name]
    assert p.parent.full_name in str(refused.value)
    assert "brouillon est conservé" in str(refused.value)
    message.refresh_from_db()
    assert message.is_draft
    assert MessageCopy.objects.filter(message=message).count() == 1  # the sender's draft
    assert quota_of(p.colleague).used == 0 and quota_of(p.parent).used == 0
    assert quota_of(p.teacher).used == 1000  # the draft's attachment
    # Once the parent has room, the same draft goes to everyone.
    do_set_user_quota(p.parent, None)
    check_send(p.teacher, message)
    assert quota_of(p.parent).used == quota_of(p.colleague).used == 1000


def test_a_full_sender_cannot_attach_and_is_told_their_figures(personas):
    p = personas
    do_set_user_quota(p.teacher, 1500)
    message = draft(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    with pytest.raises(RecipientsFull, match="vous utilisez 1000"):
        check_add_attachment(p.teacher, message, SimpleUploadedFile("b.pdf", PDF))
    assert message.attachments.count() == 1 and quota_of(p.teacher).used == 1000
    check_remove_attachment(p.teacher, message, message.attachments.get().pk)
    assert quota_of(p.teacher).used == 0


# -- replies, forwards, folders -----------------------------------------------------------


def test_reply_reply_all_and_forward(personas):
    p = personas
    parents = class_group(p.school_class, Profile.RELATIVE)
    original = send(p.teacher, [f"group:{parents.pk}"], cc=[f"user:{p.colleague.pk}"],
                    subject="Sortie", body="<p>Rendez-vous à 8 h</p>", files=[("a.pdf", PDF)])
    reply = check_reply(p.parent, copy_of(p.parent, original)).draft
    assert reply.subject == "Re : Sortie" and reply.parent == original
    assert [a.user_id for a in reply.addresses.all()] == [p.teacher.pk]
    assert "<blockquote><p>Rendez-vous à 8 h</p></blockquote>" in reply.body
    # Reply all from the parent: the teacher only. The parents' group is hers, but being a
    # member grants nothing: parents may not write to the other families; the colleague is
    # out of a parent's reach too. The outcome says the reply goes to the sender only.
    outcome = check_reply(p.parent, copy_of(p.parent, original), reply_all=True)
    tokens = {(a.user_id, a.group_id) for a in outcome.draft.addresses.all()}
    assert tokens == {(p.teacher.pk, None)}
    assert outcome.dropped == [parents.name, p.colleague.full_name]
    assert outcome.sender_only
    forward = check_forward(p.parent, copy_of(p.parent, original))
    assert forward.subject == "Tr : Sortie"
    assert [a.name for a in forward.attachments.all()] == ["a.pdf"]
    assert forward.attachments.get().blob_key != original.attachments.get().blob_key
    assert quota_of(p.parent).used == 2000  # received + the forward's copy


def test_own_folders_create_rename_delete(personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"])
    folder = check_create_folder(p.parent, "Sorties")
    with pytest.raises(MessagingError):
        check_create_folder(p.parent, "sorties")
    check_rename_folder(p.parent, folder, "Sorties scolaires")
    check_move(p.parent, copy_of(p.parent, message), folder)
    with pytest.raises(MessagingError):
        check_rename_folder(p.teacher, folder, "x")
    with pytest.raises(MessagingError):
        check_move(p.teacher, copy_of(p.teacher, message), folder)
    assert check_delete_folder(p.parent, folder) == 1
    back = copy_of(p.parent, message)
    assert back.mail_folder is None and back.folder == SystemFolder.INBOX
    assert not back.is_trashed


def test_copy_an_attachment_to_my_documents(personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("sortie.pdf", PDF)])
    node = check_copy_to_documents(p.parent, message.attachments.get())
    assert node.app == App.MESSAGING and node.owner == p.parent and node.size == 1000
    assert Node.objects.filter(owner=p.parent).count() == 1
    assert quota_of(p.parent).used == 2000 == recount_quota(p.parent.pk)


# -- rich text ------------------------------------------------------------------------------


def test_bodies_are_sanitised_against_xss(personas):
    p = personas
    body = ('<p onclick="steal()">Bonjour<script>alert(1)</script> <b>gras</b> '
            '<a href="javascript:alert(1)">piège</a> <a href="https://ecole.fr">site</a>'
            '<img src=x onerror="alert(2)"><iframe src="https://evil"></iframe></p>'
            '<style>body{}</style><ul><li>un</li></ul>')
    message = send(p.teacher, [f"user:{p.parent.pk}"], body=body)
    stored = Message.objects.get(pk=message.pk).body
    for bad in ("script", "onclick", "javascript:", "onerror", "<img", "iframe", "style"):
        assert bad not in stored
    assert "<b>gras</b>" in stored and '<a href="https://ecole.fr"' in stored
    assert "<ul><li>un</li></ul>" in stored
    # A row written by another path is cleaned again when shown.
    assert "script" not in safe_html('<p>x</p><script>alert(1)</script>')


def test_text_typed_above_a_quoted_reply_keeps_its_lines(personas):
    p = personas
    original = send(p.teacher, [f"user:{p.parent.pk}"], body="<p>Sortie jeudi</p>")
    reply = check_reply(p.parent, copy_of(p.parent, original)).draft
    typed = "Merci <3\nÀ jeudi\n" + reply.body
    saved = check_save_draft(p.parent, reply, to=[f"user:{p.teacher.pk}"], subject="Re",
                             body=typed)
    assert saved.body.startswith("<p>Merci &lt;3</p><p>À jeudi</p>")
    assert "<blockquote><p>Sortie jeudi</p></blockquote>" in saved.body


def test_plain_text_bodies_keep_their_lines(personas):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], body="Bonjour <3\n\nÀ demain\net merci")
    assert message.body == "<p>Bonjour &lt;3</p><p>À demain<br>et merci</p>"


# -- the year change ------------------------------------------------------------------------


def test_year_change_deletes_no_message_and_keeps_the_group_label(personas):
    p = personas
    pupils = class_group(p.school_class, Profile.STUDENT)
    label = pupils.name
    message = send(p.teacher, [f"group:{pupils.pk}"], files=[("a.pdf", PDF)])
    report = run_transition(today=datetime.date(2024, 8, 24)).report
    assert report["errors"] == []
    assert not Membership.objects.filter(group=pupils).exists()  # the class group is history
    for user in (p.teacher, p.pupil):
        copy = access_copy(user, message.pk)
        assert not copy.is_trashed
    address = Address.objects.get(message=message, group__isnull=False)
    assert address.label == label and address.group_id == pupils.pk
    assert set(MessageCopy.objects.filter(message=message).values_list("user_id", flat=True)) \
        == {p.teacher.pk, p.pupil.pk}
    assert quota_of(p.pupil).used == 1000
    assert Group.objects.filter(pk=pupils.pk, kind=GroupKind.CLASS).exists()


def test_final_deletion_of_an_account_removes_only_its_copies(
        personas, django_capture_on_commit_callbacks):
    from preau.messaging.actions import do_release_mailboxes

    p = personas
    shared = send(p.teacher, [f"user:{p.parent.pk}"], files=[("a.pdf", PDF)])
    own_draft = draft(p.parent, [f"user:{p.teacher.pk}"], files=[("b.pdf", PDF)])
    check_create_folder(p.parent, "Perso")
    key = own_draft.attachments.get().blob_key
    with django_capture_on_commit_callbacks(execute=True):
        assert do_release_mailboxes([p.parent.pk]) == 2
    assert not MessageCopy.objects.filter(user=p.parent).exists()
    assert not p.parent.mail_folders.exists()
    assert not Message.objects.filter(pk=own_draft.pk).exists() and not storage.exists(key)
    assert access_copy(p.teacher, shared.pk)  # the sender keeps the message
    assert quota_of(p.parent).used == 0


def test_recipients_passing_80_percent_are_told_once(personas, mailoutbox):
    p = personas
    p.parent.email = "marie.martin@example.org"
    p.parent.save(update_fields=["email"])
    do_set_user_quota(p.parent, 1100)
    send(p.teacher, [f"user:{p.parent.pk}", f"user:{p.colleague.pk}"], files=[("a.pdf", PDF)])
    assert [m.to for m in mailoutbox] == [["marie.martin@example.org"]]
