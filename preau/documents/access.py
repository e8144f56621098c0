"""Reads on the Espace documentaire: fetch with a right, or raise.

`access_node(user, id, right)` is the one check every page and endpoint makes: 404 when the
user may not see the node (never saying whether it exists), 403 when they see it but lack
the right. Rights come from `preau.sharing.access.rights_of`: the owner of a node or of one
of its folders holds them all; others hold what the shares on the node and its folders give
them or their groups (inheritance).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from preau.accounts.models import User
from preau.documents.models import App, Node, NodeKind
from preau.sharing.access import rights_of
from preau.sharing.models import Right, Share
from preau.sharing.registry import ShareableType


def _get(node_id: int) -> Node | None:
    return Node.objects.alive().filter(pk=node_id).first()


def node_owners(node: Node) -> set[int]:
    owners = {node.owner_id}
    ancestors = node.ancestor_ids
    if ancestors:
        owners |= set(Node.objects.filter(pk__in=ancestors).values_list("owner_id", flat=True))
    return owners


def node_chain(node: Node) -> list[int]:
    return [node.pk, *node.ancestor_ids]


def node_url(node: Node) -> str:
    if node.is_folder:
        return reverse("documents:folder", args=[node.pk])
    return reverse("documents:file", args=[node.pk])


SHAREABLE_NODE = ShareableType(
    key=Node.share_type, get=_get, chain=node_chain, owners=node_owners,
    label=lambda node: node.name, url=node_url, api_names=("document", "folder"),
    get_many=lambda ids: Node.objects.alive().in_bulk(list(ids)))


def node_rights(user: User, node: Node) -> frozenset[str]:
    return rights_of(user, node)


def access_node(user: User, node_id: int, right: str = Right.READ, *,
                kind: str | None = None) -> Node:
    """A node `user` may act on with `right`, not in the trash."""
    node = Node.objects.alive().select_related("current").filter(pk=node_id).first()
    if node is None or (kind is not None and node.kind != kind):
        raise Http404
    rights = rights_of(user, node)
    if Right.READ not in rights:
        raise Http404
    if right not in rights:
        raise PermissionDenied
    node.rights = rights  # type: ignore[attr-defined]
    return node


def access_folder(user: User, folder_id: int, right: str = Right.READ) -> Node:
    return access_node(user, folder_id, right, kind=NodeKind.FOLDER)


def access_trashed(user: User, node_id: int) -> Node:
    """A trash entry of `user`'s: a node they deleted (its owner's or a shared one)."""
    node = Node.objects.filter(pk=node_id, trashed_by=user, trash_root_id=node_id).first()
    if node is None:
        raise Http404
    return node


def my_documents(user: User, folder: Node | None = None,
                 app: str = App.DOCUMENTS) -> QuerySet[Node]:
    """The content of a folder, or the root of the user's own documents (of one app)."""
    nodes = Node.objects.alive()
    if folder is not None:
        nodes = nodes.filter(parent=folder)
    else:
        nodes = nodes.filter(owner=user, parent__isnull=True, app=app)
    return nodes.select_related("owner").order_by("-kind", "name", "pk")  # folders first


def app_documents(user: User) -> QuerySet[Node]:
    """Documents ajoutés dans les applis: files other apps stored for the user."""
    return (Node.objects.alive().filter(owner=user).exclude(app=App.DOCUMENTS)
            .order_by("app", "-created_at", "pk"))


def shared_with_me(user: User) -> QuerySet[Node]:
    """Nodes shared with the user or their groups (not their own), not in the trash."""
    shared = Share.objects.for_user(user.pk).filter(resource_type=Node.share_type)
    return (Node.objects.alive().filter(pk__in=shared.values("resource_id"))
            .exclude(owner=user).select_related("owner").order_by("-kind", "name", "pk"))


def shared_by_me(user: User) -> QuerySet[Share]:
    """Shares on the user's nodes or made by the user: "what I shared, with whom"."""
    mine = Node.objects.alive().filter(Q(owner=user)).values("pk")
    return (Share.objects.filter(resource_type=Node.share_type)
            .filter(Q(resource_id__in=mine) | Q(created_by=user))
            .select_related("user", "group", "created_by").order_by("resource_id", "created_at"))


def trash_of(user: User) -> QuerySet[Node]:
    return (Node.objects.filter(trashed_by=user, trash_root_id=F("pk"))
            .select_related("owner").order_by("-trashed_at", "pk"))


def breadcrumb(user: User, node: Node) -> list[Node]:
    """The node's folders the user may see, from the top (one query)."""
    ids = list(reversed(node.ancestor_ids))
    if not ids:
        return []
    by_id = {n.pk: n for n in Node.objects.filter(pk__in=ids)}
    crumbs = [by_id[i] for i in ids if i in by_id]
    if node.owner_id == user.pk or any(c.owner_id == user.pk for c in crumbs[:1]):
        return crumbs
    # Someone else's tree: start at the highest folder the user was given.
    chain = set(Share.objects.for_user(user.pk).on(Node.share_type, ids)
                .values_list("resource_id", flat=True))
    for index, crumb in enumerate(crumbs):
        if crumb.pk in chain or crumb.owner_id == user.pk:
            return crumbs[index:]
    return []


def my_folders(user: User) -> QuerySet[Node]:
    """Every folder of the user's own "Mes documents" (for the tree on the left)."""
    return (Node.objects.alive().filter(owner=user, kind=NodeKind.FOLDER, app=App.DOCUMENTS)
            .only("pk", "name", "parent_id", "path").order_by("name", "pk"))


def contrib_folders(user: User) -> QuerySet[Node]:
    """Folders the user may add to: their own (Mes documents) and those shared with them with
    *contribution* or *gestion*, with everything inside those (two queries)."""
    granted = (Share.objects.for_user(user.pk).filter(resource_type=Node.share_type)
               .filter(Q(can_contrib=True) | Q(can_manage=True)).values("resource_id"))
    roots = list(Node.objects.alive().filter(kind=NodeKind.FOLDER, pk__in=granted)
                 .values_list("pk", "path"))
    wanted = Q(owner=user, app=App.DOCUMENTS)
    for pk, path in roots:
        wanted |= Q(pk=pk) | Q(path__startswith=f"{path}{pk}/")
    return (Node.objects.alive().filter(kind=NodeKind.FOLDER).filter(wanted)
            .select_related("owner").order_by("path", "name", "pk"))
