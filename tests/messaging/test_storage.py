"""Attachments on both storage backends: local disk and S3 (a moto server on loopback)."""

from __future__ import annotations

from django.urls import reverse

from preau.messaging.actions import check_forward, check_trash, do_empty_trash
from tests.messaging.helpers import copy_of, send

DATA = b"%PDF-1.4\n" + bytes(range(256)) * 40


def test_attachments_are_stored_served_copied_and_removed(personas, backend, client_for,
                                                         django_capture_on_commit_callbacks):
    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("sortie.pdf", DATA)])
    attachment = message.attachments.get()
    assert attachment.blob_key in backend.blobs()
    response = client_for(p.parent).get(
        reverse("messaging:attachment", args=[message.pk, attachment.pk]))
    assert b"".join(response.streaming_content) == DATA  # type: ignore[attr-defined]
    forward = check_forward(p.parent, copy_of(p.parent, message))
    copied = forward.attachments.get().blob_key
    assert copied != attachment.blob_key and copied in backend.blobs()
    for user in (p.teacher, p.parent):
        check_trash(user, [copy_of(user, message)])
        with django_capture_on_commit_callbacks(execute=True):
            do_empty_trash(user)
    assert attachment.blob_key not in backend.blobs()
    assert copied in backend.blobs()  # the forward's draft still holds its own copy


def test_a_refused_attachment_keeps_its_bytes_until_its_last_holder_refuses_it(
        personas, backend, client_for, django_capture_on_commit_callbacks):
    from preau.messaging.actions import check_refuse_attachment

    p = personas
    message = send(p.teacher, [f"user:{p.parent.pk}"], files=[("sortie.pdf", DATA)])
    attachment = message.attachments.get()
    with django_capture_on_commit_callbacks(execute=True):
        check_refuse_attachment(p.parent, copy_of(p.parent, message), attachment)
    assert attachment.blob_key in backend.blobs()
    response = client_for(p.teacher).get(
        reverse("messaging:attachment", args=[message.pk, attachment.pk]))
    assert b"".join(response.streaming_content) == DATA  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        check_refuse_attachment(p.teacher, copy_of(p.teacher, message), attachment)
    assert attachment.blob_key not in backend.blobs()
