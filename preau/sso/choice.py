"""What the choice page shows of each account offered: only the accounts the assertion
matched, with what tells them apart (profile, schools, children's first names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch

from preau.accounts.models import User
from preau.directory.models import RelativeLink, StructureAttachment


@dataclass
class ChoiceAccount:
    user: User
    schools: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def choice_accounts(ids: Sequence[int]) -> list[ChoiceAccount]:
    """Three queries whatever the number of accounts."""
    users = (User.objects.filter(pk__in=list(ids)).order_by("pk").prefetch_related(
        Prefetch("attachments", queryset=StructureAttachment.objects.select_related(
            "structure").order_by("structure__name")),
        Prefetch("children_links", queryset=RelativeLink.objects.select_related(
            "student").order_by("student__first_name"))))
    return [ChoiceAccount(user=user,
                          schools=[a.structure.name for a in user.attachments.all()],
                          children=[link.student.first_name
                                    for link in user.children_links.all()])
            for user in users]
