"""The directory model: the heart of the feeds, the year change and every app's sharing.

A class exists for one school year; its profile groups (pupils, parents, teachers, staff of
the class) and the feed's functional groups are the *groupes de scolarité* that the year
change purges. A school's profile groups ("all teachers of school X") are kept from year to
year: the feed changes their members. Memberships record their source, so a feed never
removes what a person added by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Profile, Source
from preau.lib.text import search_key


class SchoolYear(models.Model):
    name = models.CharField(_("name"), max_length=9, unique=True)  # "2023-2024"
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("school year")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True),
                                    name="one_current_school_year"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                   name="school_year_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> SchoolYear:
        return cls.objects.get(is_current=True)


class Academy(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)  # "09" in FrEduCtRefId
    name = models.CharField(_("name"), max_length=100)
    feed_prefix = models.CharField(_("feed prefix"), max_length=32, unique=True)
    feeds_frozen = models.BooleanField(_("feeds suspended"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("académie")
        verbose_name_plural = _("académies")

    def __str__(self) -> str:
        return self.name


class Structure(models.Model):
    """A school (école), known by its UAI."""

    uai = models.CharField(_("UAI"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=200)
    academy = models.ForeignKey(Academy, on_delete=models.PROTECT, related_name="structures",
                                verbose_name=_("académie"))
    circonscription = models.CharField(_("circonscription"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    has_feed = models.BooleanField(_("fed automatically"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class Level(models.TextChoices):
    TPS = "TPS", "TPS"
    PS = "PS", "PS"
    MS = "MS", "MS"
    GS = "GS", "GS"
    CP = "CP", "CP"
    CE1 = "CE1", "CE1"
    CE2 = "CE2", "CE2"
    CM1 = "CM1", "CM1"
    CM2 = "CM2", "CM2"


class SchoolClassQuerySet(models.QuerySet["SchoolClass"]):
    def active(self) -> SchoolClassQuerySet:
        return self.filter(school_year__is_current=True, closed_at__isnull=True)


class SchoolClass(models.Model):
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="classes",
                                  verbose_name=_("school"))
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes",
                                    verbose_name=_("school year"))
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    levels = models.JSONField(_("levels"), default=list, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SchoolClassQuerySet.as_manager()

    class Meta:
        ordering = ["structure__name", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["structure", "school_year", "code"],
                                    name="class_unique_code_per_year"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.closed_at is None and self.school_year.is_current


class StructureAttachment(models.Model):
    """A user belongs to a school (rattachement à une structure)."""

    # No index of its own: the (user, structure) unique constraint's index serves lookups
    # by user. Every redundant index is written on each of a feed's many inserts.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="attachments", db_index=False)
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="attachments")
    source = models.CharField(max_length=8, choices=Source.choices)
    is_director = models.BooleanField(_("head teacher"), default=False)
    functions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="one_attachment_per_school"),
        ]


class SchoolAdmin(models.Model):
    """A user who administers one school (directeur, eRun...)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="administered", db_index=False)  # see the constraint
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="admins")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="one_admin_row_per_school"),
        ]


class RelativeLink(models.Model):
    """A parent (or foster family) responsible for a pupil."""

    relative = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="children_links", db_index=False)  # constraint
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="relative_links")
    source = models.CharField(max_length=8, choices=Source.choices)
    legal = models.BooleanField(_("legal representative"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["relative", "student"], name="one_link_per_pair"),
        ]


class GroupKind(models.TextChoices):
    STRUCTURE = "structure", _("School profile group")
    CLASS = "class", _("Class profile group")
    FUNCTIONAL = "functional", _("Functional group")
    MANUAL = "manual", _("Manual group")


SCOLARITE_KINDS = (GroupKind.CLASS, GroupKind.FUNCTIONAL)


class GroupQuerySet(models.QuerySet["Group"]):
    def scolarite(self) -> GroupQuerySet:
        return self.filter(kind__in=SCOLARITE_KINDS)

    def archived(self) -> GroupQuerySet:
        """Groupes de scolarité of a past school year or of a closed class: kept for history,
        they grant nothing and take no new share or message."""
        return self.filter(archived_condition())

    def live(self) -> GroupQuerySet:
        """Every group but the archived ones: those that may still take shares and mail."""
        return self.exclude(archived_condition())


def archived_condition() -> Q:
    """Groups that are archived groupes de scolarité (see `GroupQuerySet.archived`)."""
    current_start = SchoolYear.objects.filter(is_current=True).values("start")[:1]
    return Q(kind__in=SCOLARITE_KINDS) & (
        Q(school_year__end__lt=models.Subquery(current_start))
        | Q(school_class__closed_at__isnull=False))


class Group(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=GroupKind.choices)
    name = models.CharField(_("name"), max_length=200)
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="groups",
                                  null=True, blank=True)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="groups",
                                     null=True, blank=True)
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="groups",
                                    null=True, blank=True)
    profile = models.CharField(_("profile"), max_length=16, choices=Profile.choices, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="owned_groups")
    external_id = models.CharField(max_length=128, blank=True)
    name_key = models.CharField(max_length=200, editable=False, default="", db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", through_fields=("group", "user"),
        related_name="preau_groups")

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        constraints = [
            models.UniqueConstraint(fields=["structure", "profile"],
                                    condition=Q(kind="structure"),
                                    name="one_profile_group_per_school"),
            models.UniqueConstraint(fields=["school_class", "profile"],
                                    condition=Q(kind="class"),
                                    name="one_profile_group_per_class"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = search_key(self.name)[:200]  # NFKD may lengthen a name
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_scolarite(self) -> bool:
        """Purged at the year change (a class's or the feed's functional group)."""
        return self.kind in SCOLARITE_KINDS


class MembershipSource(models.TextChoices):
    FEED = "feed", _("Feed")
    MANUAL = "manual", _("Added by hand")


class Membership(models.Model):
    # Lookups by group use the unique constraint's index, by user the (user, group) index;
    # `added_by` is indexed only where set (feeds never set it). Feeds write memberships by
    # the hundred thousand: each index less is a write less per row.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships",
                              db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships", db_index=False)
    source = models.CharField(max_length=8, choices=MembershipSource.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)
    # A teacher who attached herself to a class (`added_by` is the member) has power over
    # its pupils' accounts only once the head teacher approved it: who and when.
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", db_index=False)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "source"],
                                    name="one_membership_per_source"),
        ]
        indexes = [
            models.Index(fields=["user", "group"]),
            models.Index(fields=["added_by"], condition=models.Q(added_by__isnull=False),
                         name="membership_added_by"),
        ]


class ArchivedMembership(models.Model):
    """A membership the year change ended: history only, it grants nothing any more.

    Kept apart from `Membership` so that every rule, share and list keeps reading live
    memberships only; pupils and parents still see last year's class from here.
    """

    # Indexed as Membership is (the year change writes these by the hundred thousand).
    group = models.ForeignKey(Group, on_delete=models.CASCADE,
                              related_name="archived_memberships", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="archived_memberships", db_index=False)
    source = models.CharField(max_length=8, choices=MembershipSource.choices)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "source"],
                                    name="one_archived_membership_per_source"),
        ]
        indexes = [models.Index(fields=["user", "group"])]


class CommunicationScope(models.TextChoices):
    SAME_SCHOOL = "same_school", _("People of the same school")
    SAME_CLASS = "same_class", _("People of the same class")
    CHILDREN_CLASSES = "children_classes", _("People of their children's classes")
    CHILDREN_SCHOOL_DIRECTION = "children_direction", _("Head teacher of their children's school")
    OWN_CHILDREN = "own_children", _("Their own children")
    OWN_RELATIVES = "own_relatives", _("Their own parents")


class CommunicationRule(models.Model):
    """Who may find and write to whom. Defaults come from a data migration; ENT admins edit them.

    A rule lets users of `sender_profile` reach users of `receiver_profile` (blank: any
    profile) within `scope`. Everything that finds or writes to people asks
    `preau.directory.communication`, which reads these rows.
    """

    sender_profile = models.CharField(_("who"), max_length=16, choices=Profile.choices)
    scope = models.CharField(_("may reach"), max_length=24, choices=CommunicationScope.choices)
    receiver_profile = models.CharField(_("whom"), max_length=16, choices=Profile.choices,
                                        blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["sender_profile", "scope", "receiver_profile"]
        constraints = [
            models.UniqueConstraint(fields=["sender_profile", "scope", "receiver_profile"],
                                    name="one_rule_per_triple"),
        ]


class ShareBookmark(models.Model):
    """A favori de partage: a user's saved list of people and groups. Owned by one user."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="share_bookmarks")
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("share bookmark")


class BookmarkMember(models.Model):
    bookmark = models.ForeignKey(ShareBookmark, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, group__isnull=True)
                           | Q(user__isnull=True, group__isnull=False)),
                name="bookmark_member_is_user_or_group",
            ),
            models.UniqueConstraint(fields=["bookmark", "user"], condition=Q(user__isnull=False),
                                    name="bookmark_user_once"),
            models.UniqueConstraint(fields=["bookmark", "group"],
                                    condition=Q(group__isnull=False), name="bookmark_group_once"),
        ]
