"""The Espace documentaire: folders and files (`Node`), file versions, quotas.

Folders and files are one table so that a tree, a move, the trash and the shares treat them
alike. `path` holds the ids of a node's ancestors ("/12/45/" for a node inside folder 45,
inside root folder 12; "/" at the root), so the shares that apply to a node (its own and
its folders') are found in one query, and a subtree is one `path LIKE` away.

Every stored byte belongs to a `FileVersion`; the node's owner is charged for all its
versions, trash included, in `Quota.used`, which is only ever changed by one conditional
UPDATE (see actions.reserve_space) so that concurrent uploads cannot overshoot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Profile

GIB = 1024**3
MIB = 1024**2
# The reference ENT's values; an ENT admin changes them in the console (QuotaDefault rows).
DEFAULT_QUOTAS: dict[str, int] = {
    Profile.TEACHER: 10 * GIB,
    Profile.PERSONNEL: 10 * GIB,
    Profile.STUDENT: 1 * GIB,
    Profile.RELATIVE: 1 * GIB,
    Profile.GUEST: 100 * MIB,
}
UNSET_QUOTA = 100 * MIB
WARN_RATIO = 0.8


class NodeKind(models.TextChoices):
    FOLDER = "folder", _("Folder")
    FILE = "file", _("File")


class App(models.TextChoices):
    """Where a node lives: "" = Mes documents; others = Documents ajoutés dans les applis."""

    DOCUMENTS = "", _("My documents")
    MESSAGING = "messaging", _("Messaging")
    NOTEBOOKS = "notebooks", _("Notebooks")
    RICHTEXT = "richtext", _("Images in texts")


class NodeQuerySet(models.QuerySet["Node"]):
    def alive(self) -> NodeQuerySet:
        return self.filter(trashed_at__isnull=True)

    def subtree(self, node: Node) -> NodeQuerySet:
        """The node and everything inside it."""
        return self.filter(Q(pk=node.pk) | Q(path__startswith=node.inner_path))


class Node(models.Model):
    share_type = "documents.node"

    kind = models.CharField(_("kind"), max_length=6, choices=NodeKind.choices)
    name = models.CharField(_("name"), max_length=255)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="nodes")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children")
    path = models.CharField(max_length=2000, default="/", db_index=True)
    app = models.CharField(_("application"), max_length=12, choices=App.choices, blank=True,
                           default=App.DOCUMENTS)
    current = models.ForeignKey("FileVersion", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    size = models.BigIntegerField(_("size"), default=0)  # the current version's
    content_type = models.CharField(_("type"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)
    # The trash: a deleted folder's subtree is trashed with it (trash_root = the folder);
    # the node keeps its place (parent) so that restoring puts it back.
    trashed_at = models.DateTimeField(_("deleted on"), null=True, blank=True)
    trashed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    trash_root = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    trash_origin = models.CharField(_("original place"), max_length=1000, blank=True)

    objects = NodeQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "parent", "app"]),
            models.Index(fields=["parent", "kind", "name"]),
            models.Index(fields=["trashed_by", "trash_root"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def inner_path(self) -> str:
        """The `path` of this node's children."""
        return f"{self.path}{self.pk}/"

    @property
    def ancestor_ids(self) -> list[int]:
        """Nearest first."""
        return [int(i) for i in reversed(self.path.strip("/").split("/")) if i]

    @property
    def is_folder(self) -> bool:
        return self.kind == NodeKind.FOLDER

    @property
    def is_trashed(self) -> bool:
        return self.trashed_at is not None


class ThumbnailState(models.TextChoices):
    """A version's thumbnail: made by a background job (`documents.tasks`), never in the
    request that stored the file."""

    NONE = "none", _("no thumbnail for this type")
    PENDING = "pending", _("being made")
    READY = "ready", _("ready")
    TOO_LARGE = "too_large", _("image too large")
    FAILED = "failed", _("could not be made")


class FileVersion(models.Model):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # A random storage key ("ab/cd/<uuid4 hex>"): never a user's file name, never guessable.
    blob_key = models.CharField(max_length=80, unique=True)
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=120)
    thumbnail_key = models.CharField(max_length=80, blank=True)
    thumbnail_state = models.CharField(_("thumbnail"), max_length=10,
                                       choices=ThumbnailState.choices,
                                       default=ThumbnailState.NONE)
    # An image's dimensions, read from its header by the thumbnail job (null until then, or
    # when the header could not be read).
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded on"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "number"],
                                               name="version_unique_number")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.node_id} v{self.number}"


class QuotaDefault(models.Model):
    """The quota of a profile, set by an ENT admin (initial values: DEFAULT_QUOTAS)."""

    profile = models.CharField(_("profile"), max_length=16, choices=Profile.choices, unique=True)
    limit = models.BigIntegerField(_("quota (bytes)"))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.profile}: {self.limit}"


class Quota(models.Model):
    """One user's space: what they use (every version they own, trash included)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="quota")
    used = models.BigIntegerField(_("used (bytes)"), default=0)
    # Set by an ENT admin for this user only; null = the profile's quota.
    limit_override = models.BigIntegerField(_("own quota (bytes)"), null=True, blank=True)
    # When the user was told they passed 80 %; cleared when they go back under.
    warned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.used}"
