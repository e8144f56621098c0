from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile

from preau.accounts.models import User
from preau.directory.models import Group, SchoolClass
from preau.messaging.actions import check_add_attachment, check_save_draft, check_send
from preau.messaging.models import Message, MessageCopy


def class_group(school_class: SchoolClass, profile: str) -> Group:
    return school_class.groups.get(profile=profile)


def draft(sender: User, to: Sequence[str], subject: str = "Sortie", body: str = "Bonjour",
          files: Sequence[tuple[str, bytes]] = (), cc: Sequence[str] = ()) -> Message:
    message = check_save_draft(sender, None, to=to, cc=cc, subject=subject, body=body)
    for name, data in files:
        check_add_attachment(sender, message, SimpleUploadedFile(name, data))
    return message


def send(sender: User, to: Sequence[str], subject: str = "Sortie", body: str = "Bonjour",
         files: Sequence[tuple[str, bytes]] = (), cc: Sequence[str] = ()) -> Message:
    return check_send(sender, draft(sender, to, subject, body, files, cc))


def copy_of(user: User, message: Message) -> MessageCopy:
    return MessageCopy.objects.get(user=user, message=message)
