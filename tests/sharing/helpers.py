from __future__ import annotations

from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.models import Group, GroupKind, Membership, MembershipSource
from preau.documents.models import Node
from preau.sharing.models import Share, Via
from tests.personas import Personas


def dialog_url(node: Node, name: str = "dialog", *args: int) -> str:
    return reverse(f"sharing:{name}", args=[node.share_type, node.pk, *args])


def class_group(p: Personas, profile: str = Profile.STUDENT) -> Group:
    return Group.objects.get(kind=GroupKind.CLASS, school_class=p.school_class, profile=profile)


def school_group(p: Personas, profile: str = Profile.TEACHER) -> Group:
    return Group.objects.get(kind=GroupKind.STRUCTURE, structure=p.school, profile=profile)


def manual_group(p: Personas) -> Group:
    group = Group.objects.create(kind=GroupKind.MANUAL, name="Projet jardin", owner=p.teacher,
                                 structure=p.school)
    Membership.objects.create(group=group, user=p.colleague, source=MembershipSource.MANUAL)
    return group


def share_row(node: Node, **grantee: object) -> Share:
    return Share.objects.get(resource_type=node.share_type, resource_id=node.pk, **grantee)


def raw_share(node: Node, creator, via: str = Via.DIRECT, **grantee: object) -> Share:
    """A share written straight to the table (e.g. made last year, before the rules changed)."""
    return Share.objects.create(resource_type=node.share_type, resource_id=node.pk,
                                created_by=creator, via=via, **grantee)
