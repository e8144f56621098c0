"""Shapes of the API's requests and responses. Validation only: rights are the views' access
functions, and every write is an action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from preau.accounts.models import PersonalToken, Profile, State, User
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    SchoolClass,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.lib.ids import MAX_ID, parse_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class IdField(serializers.IntegerField):
    """An id read from a request (query or body): a positive integer the database can hold,
    else 400 before any query (`preau.lib.ids`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A row chosen by id among the field's queryset: an id past the database's range is
    refused as an unknown one (`IdField`'s limit), before any query."""

    def to_internal_value(self, data: Any) -> Any:
        if parse_id(data) is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class RefField(serializers.RegexField):
    """A reference such as "user:12": one of `kinds`, a colon and an id the database can
    hold (`IdField`'s limit), else 400."""

    def __init__(self, kinds: tuple[str, ...], **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(rf"^({'|'.join(kinds)}):[0-9]+$", **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if parse_id(value.partition(":")[2]) is None:
            self.fail("invalid")
        return value


def schools_prefetch() -> Prefetch:
    """One query for the schools of every person in a page, whatever their number."""
    return Prefetch("attachments", queryset=StructureAttachment.objects.select_related(
        "structure").order_by("structure__name", "structure_id"))


def with_schools(users: QuerySet[User]) -> QuerySet[User]:
    return users.prefetch_related(schools_prefetch())


class OutputSerializer(serializers.ModelSerializer):
    """Response only: every field read-only, so the schema marks them all as present."""

    optional_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, field in fields.items():
            if name not in self.optional_fields:
                field.read_only = True
        return fields


class ErrorSerializer(serializers.Serializer):
    """A refused request, with a message for the user."""

    detail = serializers.CharField()


# Small references ---------------------------------------------------------------------------


class SchoolRefSerializer(OutputSerializer):
    class Meta:
        model = Structure
        fields = ["id", "uai", "name"]


class AttachedSchoolSerializer(serializers.Serializer):
    """A school seen through a person's attachment row."""

    id = serializers.IntegerField(source="structure.id")
    uai = serializers.CharField(source="structure.uai")
    name = serializers.CharField(source="structure.name")


class ClassRefSerializer(OutputSerializer):
    class Meta:
        model = SchoolClass
        fields = ["id", "name"]


class PersonRefSerializer(OutputSerializer):
    class Meta:
        model = User
        fields = ["id", "display_name", "profile"]


class GroupRefSerializer(OutputSerializer):
    class Meta:
        model = Group
        fields = ["id", "name", "kind", "profile"]


# Me and tokens ------------------------------------------------------------------------------


class MeSerializer(OutputSerializer):
    schools = AttachedSchoolSerializer(many=True, read_only=True, source="attachments")
    administered_schools = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "login", "profile", "first_name", "last_name", "display_name", "state",
                  "schools", "is_ent_admin", "administered_schools"]

    @extend_schema_field(SchoolRefSerializer(many=True))
    def get_administered_schools(self, user: User) -> list[dict[str, Any]]:
        schools = self.context["administered_schools"]
        return SchoolRefSerializer(schools, many=True).data  # type: ignore[return-value]


class TokenSerializer(OutputSerializer):
    class Meta:
        model = PersonalToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


# Directory search and people ----------------------------------------------------------------

SEARCH_TYPES = [("person", _("Person")), ("group", _("Group"))]


class SearchQuerySerializer(serializers.Serializer):
    """Query string of the directory search. `class` is a Python keyword: see get_fields."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Words to find in names, accents and case ignored.")
    type = serializers.ChoiceField(choices=SEARCH_TYPES, required=False,
                                   help_text="Only people, or only groups.")
    profile = serializers.ChoiceField(choices=Profile.choices, required=False)
    school = IdField(required=False, help_text="School id.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = IdField(required=False, help_text="Class id.")
        return fields


class SearchPersonSerializer(OutputSerializer):
    type = serializers.SerializerMethodField()
    schools = AttachedSchoolSerializer(many=True, read_only=True, source="attachments")

    class Meta:
        model = User
        fields = ["type", "id", "display_name", "profile", "schools"]

    @extend_schema_field({"type": "string", "enum": ["person"]})
    def get_type(self, user: User) -> str:
        return "person"


class SearchGroupSerializer(OutputSerializer):
    type = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["type", "id", "name", "kind", "profile"]

    @extend_schema_field({"type": "string", "enum": ["group"]})
    def get_type(self, group: Group) -> str:
        return "group"


class PersonCardSerializer(OutputSerializer):
    """A person's card. The private fields (login, state, e-mail, birth date, INE) are left
    out unless the view sets `show_private` (the person themself or their administrators);
    they are optional in the schema for that reason."""

    schools = AttachedSchoolSerializer(many=True, read_only=True, source="attachments")
    classes = serializers.SerializerMethodField()
    login = serializers.CharField(required=False)
    state = serializers.ChoiceField(choices=State.choices, required=False)
    email = serializers.EmailField(required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    ine = serializers.CharField(required=False)

    PRIVATE_FIELDS = ("login", "state", "email", "birth_date", "ine")
    optional_fields = PRIVATE_FIELDS

    class Meta:
        model = User
        fields = ["id", "display_name", "first_name", "last_name", "profile", "schools",
                  "classes", "login", "state", "email", "birth_date", "ine"]

    @extend_schema_field(ClassRefSerializer(many=True))
    def get_classes(self, user: User) -> list[dict[str, Any]]:
        classes = (SchoolClass.objects.active()
                   .filter(groups__kind=GroupKind.CLASS, groups__memberships__user=user)
                   .distinct().order_by("name", "id"))
        return ClassRefSerializer(classes, many=True).data  # type: ignore[return-value]

    def to_representation(self, instance: User) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("show_private"):
            for name in self.PRIVATE_FIELDS:
                data.pop(name, None)
        return data


# Classes and groups -------------------------------------------------------------------------


class ClassQuerySerializer(serializers.Serializer):
    school = IdField(required=False, help_text="School id.")
    year = serializers.CharField(required=False, max_length=9,
                                 help_text="School year such as 2022-2023; the current one "
                                           "by default.")


class ClassSerializer(OutputSerializer):
    school = SchoolRefSerializer(source="structure", read_only=True)
    school_year = serializers.CharField(source="school_year.name", read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    levels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = SchoolClass
        fields = ["id", "code", "name", "levels", "school", "school_year", "is_active"]


class ClassDetailSerializer(ClassSerializer):
    """A class with the members the caller may see (the view passes the class page's
    roster) and how many others there are."""

    pupils = serializers.SerializerMethodField()
    teachers = serializers.SerializerMethodField()
    staff = serializers.SerializerMethodField()
    parents = serializers.SerializerMethodField()
    hidden_count = serializers.SerializerMethodField()

    class Meta(ClassSerializer.Meta):
        fields = [*ClassSerializer.Meta.fields, "pupils", "teachers", "staff", "parents",
                  "hidden_count"]

    def get_hidden_count(self, school_class: SchoolClass) -> int:
        return int(self.context["hidden_count"])

    def _members(self, profile: str) -> list[dict[str, Any]]:
        people = self.context["members"].get(profile, [])
        return PersonRefSerializer(people, many=True).data  # type: ignore[return-value]

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_pupils(self, school_class: SchoolClass) -> list[dict[str, Any]]:
        return self._members(Profile.STUDENT)

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_teachers(self, school_class: SchoolClass) -> list[dict[str, Any]]:
        return self._members(Profile.TEACHER)

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_staff(self, school_class: SchoolClass) -> list[dict[str, Any]]:
        return self._members(Profile.PERSONNEL)

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_parents(self, school_class: SchoolClass) -> list[dict[str, Any]]:
        return self._members(Profile.RELATIVE)


class GroupQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.ChoiceField(choices=GroupKind.choices, required=False)
    school = IdField(required=False, help_text="School id.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = IdField(required=False, help_text="Class id.")
        return fields


class GroupSerializer(OutputSerializer):
    school = SchoolRefSerializer(source="structure", read_only=True, allow_null=True)
    school_class = ClassRefSerializer(read_only=True, allow_null=True)
    is_scolarite = serializers.BooleanField(read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "kind", "profile", "school", "school_class", "is_scolarite"]


class GroupDetailSerializer(GroupSerializer):
    """`addressable`: whether the caller may write to the group and share with it (a member
    may see the group without that right); `members` those the caller may see,
    `hidden_count` how many others."""

    members = serializers.SerializerMethodField()
    hidden_count = serializers.SerializerMethodField()
    addressable = serializers.SerializerMethodField()

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "members", "hidden_count", "addressable"]

    def get_hidden_count(self, group: Group) -> int:
        return int(self.context["hidden_count"])

    def get_addressable(self, group: Group) -> bool:
        return bool(self.context["addressable"])

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_members(self, group: Group) -> list[dict[str, Any]]:
        return PersonRefSerializer(self.context["members"], many=True).data  # type: ignore[return-value]


# Share bookmarks ----------------------------------------------------------------------------


class ReachableIdsField(serializers.ListField):
    """A list of ids, each of which must be in the queryset the view passes in the context
    (people or groups the owner may reach). One query for the whole list; an id that does
    not exist and one out of reach get the same message."""

    def __init__(self, context_key: str, message: StrOrPromise, **kwargs: Any) -> None:
        self.context_key = context_key
        self.message = message
        super().__init__(child=IdField(), required=False,
                         max_length=500, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        ids = set(super().to_internal_value(data))
        if not ids:
            return []
        reachable: QuerySet = self.context[self.context_key]
        found = list(reachable.filter(pk__in=ids))
        if len(found) != len(ids):
            raise serializers.ValidationError(self.message)
        return found


class BookmarkMembersInputSerializer(serializers.Serializer):
    users = ReachableIdsField("reachable_users",
                              _("Unknown person, or one you cannot share with."),
                              help_text="Ids of people you may reach.")
    groups = ReachableIdsField("addressable_groups",
                               _("Unknown group, or one you cannot share with."),
                               help_text="Ids of groups you may reach.")


class BookmarkCreateSerializer(BookmarkMembersInputSerializer):
    name = serializers.CharField(max_length=120)


class BookmarkRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class BookmarkSerializer(OutputSerializer):
    members_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ShareBookmark
        fields = ["id", "name", "members_count", "created_at", "updated_at"]


class BookmarkMemberSerializer(OutputSerializer):
    """`id` is the member row's, for DELETE .../members/{id}/; one of user and group is set."""

    user = PersonRefSerializer(read_only=True, allow_null=True)
    group = GroupRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BookmarkMember
        fields = ["id", "user", "group"]


class BookmarkDetailSerializer(OutputSerializer):
    """Members the owner may no longer reach (a pupil who left, last year's class group) are
    only counted, with their member ids so the owner can remove them."""

    members = serializers.SerializerMethodField()
    unreachable_members = serializers.SerializerMethodField()
    unreachable_count = serializers.SerializerMethodField()

    class Meta:
        model = ShareBookmark
        fields = ["id", "name", "created_at", "updated_at", "members", "unreachable_members",
                  "unreachable_count"]

    @extend_schema_field(BookmarkMemberSerializer(many=True))
    def get_members(self, bookmark: ShareBookmark) -> list[dict[str, Any]]:
        members = self.context["reachable_members"]
        return BookmarkMemberSerializer(members, many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_unreachable_members(self, bookmark: ShareBookmark) -> list[int]:
        return [member.pk for member in self.context["unreachable_members"]]

    def get_unreachable_count(self, bookmark: ShareBookmark) -> int:
        return len(self.context["unreachable_members"])


# Administration of accounts -----------------------------------------------------------------


class AdminUserQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Words to find in names and logins.")
    profile = serializers.ChoiceField(choices=Profile.choices, required=False)
    state = serializers.ChoiceField(choices=State.choices, required=False)
    school = IdField(required=False, help_text="School id.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = IdField(required=False, help_text="Class id.")
        return fields


class AdminUserSerializer(OutputSerializer):
    schools = AttachedSchoolSerializer(many=True, read_only=True, source="attachments")

    class Meta:
        model = User
        fields = ["id", "login", "display_name", "first_name", "last_name", "profile", "state",
                  "source", "schools"]


class AdminUserDetailSerializer(AdminUserSerializer):
    may_hold_api_tokens = serializers.BooleanField(
        read_only=True, help_text="Teachers, staff and ENT admins, or `api_tokens_allowed`.")

    class Meta(AdminUserSerializer.Meta):
        fields = [*AdminUserSerializer.Meta.fields, "email", "academic_email", "birth_date",
                  "ine", "federated", "is_ent_admin", "activation_code", "created_at",
                  "activated_at", "blocked_at", "missing_since", "api_tokens_allowed",
                  "may_hold_api_tokens"]


class ApiTokensAllowedSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(
        help_text="Whether this pupil, parent or guest may hold personal API tokens; "
                  "false revokes the tokens it holds.")


class AdminUserCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    profile = serializers.ChoiceField(choices=Profile.choices)
    school = IdRelatedField(
        queryset=Structure.objects.none(),
        error_messages={"does_not_exist": _("Unknown school, or one you do not administer."),
                        "incorrect_type": _("Unknown school, or one you do not administer.")},
        help_text="Id of a school you administer.",
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "administered_schools" in self.context:
            school = fields["school"]
            assert isinstance(school, IdRelatedField)
            school.queryset = self.context["administered_schools"]
        return fields


class AdminUserUpdateSerializer(serializers.Serializer):
    """The identity of an account made by hand; fields left out keep their value."""

    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)


class BlockSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")


class ActivationCodeSerializer(serializers.Serializer):
    activation_code = serializers.CharField()


class AttachmentInputSerializer(serializers.Serializer):
    school = IdRelatedField(
        queryset=Structure.objects.none(),
        error_messages={"does_not_exist": _("Unknown school, or one you do not administer."),
                        "incorrect_type": _("Unknown school, or one you do not administer.")},
        help_text="Id of a school you administer.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "administered_schools" in self.context:
            school = fields["school"]
            assert isinstance(school, IdRelatedField)
            school.queryset = self.context["administered_schools"]
        return fields


# Teachers' attachments to classes -----------------------------------------------------------

ATTACHMENT_ORIGINS = [("feed", "feed"), ("admin", "admin"), ("self", "self")]


class ClassAttachmentQuerySerializer(serializers.Serializer):
    school = IdField(required=False, help_text="School id.")
    pending = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="Only those waiting for approval (true), "
                                                 "or only the others (false).")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = IdField(required=False, help_text="Class id.")
        return fields


class ClassAttachmentSerializer(OutputSerializer):
    """A teacher's link to a class. `origin`: made by the feed, by an administrator, or by
    the teacher herself; `pending`: her own, not approved yet by the head teacher (she then
    may not reset the pupils' passwords nor print the class's connection sheets)."""

    teacher = PersonRefSerializer(source="user", read_only=True)
    school_class = ClassRefSerializer(source="group.school_class", read_only=True)
    school = SchoolRefSerializer(source="group.school_class.structure", read_only=True)
    origin = serializers.SerializerMethodField()
    pending = serializers.BooleanField(read_only=True)
    added_by = PersonRefSerializer(read_only=True, allow_null=True)
    approved_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "teacher", "school_class", "school", "origin", "pending", "created_at",
                  "added_by", "approved_by", "approved_at"]

    @extend_schema_field(serializers.ChoiceField(choices=ATTACHMENT_ORIGINS))
    def get_origin(self, link: Membership) -> str:
        if link.source == MembershipSource.FEED:
            return "feed"
        return "self" if link.added_by_id == link.user_id else "admin"
