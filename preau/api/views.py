"""REST API v1 views: parse input, fetch through the access rules, call one action, serialize.

Rights come from `preau.directory.access` and `preau.directory.communication`, exactly as on
the web: `Http404` and `PermissionDenied` become 404 and 403. Writes are the web's own
actions (directory, accounts, and the console's account actions), so the API cannot bypass a
rule of the pages; a refused change (any `preau.lib.errors.Refusal`) answers its status (400,
413…) with the action's translated message in `detail` (`preau.api.errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from preau.accounts.access import access_own_token, visible_tokens
from preau.accounts.actions import (
    check_reset_password,
    do_set_api_tokens_allowed,
    do_unblock,
)
from preau.accounts.models import PersonalToken, Source, User
from preau.accounts.tokens import do_revoke_token
from preau.api import queries
from preau.api.pagination import ApiPagination
from preau.api.permissions import (
    IsSchoolAdmin,
    access_managed_attachment,
    request_user,
)
from preau.api.serializers import (
    ActivationCodeSerializer,
    AdminUserCreateSerializer,
    AdminUserDetailSerializer,
    AdminUserQuerySerializer,
    AdminUserSerializer,
    AdminUserUpdateSerializer,
    ApiTokensAllowedSerializer,
    AttachmentInputSerializer,
    BlockSerializer,
    BookmarkCreateSerializer,
    BookmarkDetailSerializer,
    BookmarkMembersInputSerializer,
    BookmarkRenameSerializer,
    BookmarkSerializer,
    ClassAttachmentQuerySerializer,
    ClassAttachmentSerializer,
    ClassDetailSerializer,
    ClassQuerySerializer,
    ClassSerializer,
    ErrorSerializer,
    GroupDetailSerializer,
    GroupQuerySerializer,
    GroupSerializer,
    MeSerializer,
    PersonCardSerializer,
    SearchGroupSerializer,
    SearchPersonSerializer,
    SearchQuerySerializer,
    TokenSerializer,
    schools_prefetch,
    with_schools,
)
from preau.console.actions import (
    check_block,
    check_create_account,
    check_detach_from_structure,
    check_update_identity,
)
from preau.directory.access import (
    PENDING_SELF_ATTACHMENT,
    access_bookmark,
    access_class,
    access_class_attachment,
    access_group,
    access_managed_user,
    access_person,
    administered_structures,
    managed_users,
    may_see_private,
    visible_class_attachments,
)
from preau.directory.access import access_administered_user as access_managed_account
from preau.directory.actions import (
    check_approve_class_attachment,
    check_attach_teacher_to_class,
    check_detach_teacher_from_class,
    check_remove_class_attachment,
    do_add_bookmark_members,
    do_attach_to_structure,
    do_create_bookmark,
    do_delete_bookmark,
    do_remove_bookmark_member,
    do_rename_bookmark,
)
from preau.directory.communication import addressable_groups, can_address, reachable_users
from preau.directory.models import Group, Membership, SchoolClass, ShareBookmark
from preau.documents.sizes import size_label
from preau.lib.errors import Refusal

REFUSED = OpenApiResponse(ErrorSerializer, description="Refused, with a message for the user.")


class Refused(Refusal):
    """A request the API itself refuses before any action (a missing file…): 400."""


def one_upload(request: Request, too_large: Callable[[str], Exception]) -> UploadedFile:
    """The one file of a multipart request in the field `file`, or a refusal: `too_large`
    (the caller's refusal type) past the per-file limit, else Refused (400)."""
    files = request.FILES  # parses the body (and stops past the size limit)
    if getattr(request, "preau_upload_too_large", None):
        raise too_large(str(_("This file is too large: the limit is %(limit)s per file.")
                            % {"limit": size_label(settings.PREAU_UPLOAD_MAX_BYTES)}))
    uploads = files.getlist("file")
    if not uploads:
        raise Refused(_("Send the file in the multipart/form-data field “file”."))
    if len(uploads) > 1:
        raise Refused(_("Send one file per request."))
    return uploads[0]


class ApiView(APIView):
    # What every API view shares: JSON bodies, the page size ceiling, a 401 challenge for
    # anonymous callers. Refused actions are answered by preau.api.errors, for every view.
    # (A comment, not a docstring: the schema would show it on every operation.)

    parser_classes: Sequence[type[BaseParser]] = [JSONParser]
    pagination_class: type[BasePagination] | None = ApiPagination

    def get_authenticate_header(self, request: Request) -> str:
        """The first authenticator that issues a challenge, so that a missing or revoked
        credential is a 401 (`WWW-Authenticate: Token`) even though session auth comes first."""
        for authenticator in self.get_authenticators():
            header = authenticator.authenticate_header(request)
            if header:
                return str(header)
        return ""


def _fake(view: Any) -> bool:
    """drf-spectacular inspects views with no real user."""
    return bool(getattr(view, "swagger_fake_view", False))


def _id(view: Any, name: str = "pk") -> int:
    return int(view.kwargs[name])


def _params(serializer_class: type[BaseSerializer], request: Request) -> dict[str, Any]:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)


# Me and my tokens ---------------------------------------------------------------------------


class MeView(ApiView):
    """My account, my schools and the schools I administer."""

    @extend_schema(responses=MeSerializer, tags=["me"], summary="The account making the call")
    def get(self, request: Request) -> Response:
        user = request_user(request)
        prefetch_related_objects([user], schools_prefetch())
        context = {"administered_schools": administered_structures(user).order_by("name")}
        return Response(MeSerializer(user, context=context).data)


@extend_schema(tags=["me"])
@extend_schema_view(
    list=extend_schema(summary="My API tokens"),
    destroy=extend_schema(summary="Revoke one of my tokens"),
)
class MyTokenViewSet(ApiView, mixins.ListModelMixin, mixins.DestroyModelMixin,
                     GenericViewSet):
    """My personal API tokens that still work (an operator creates them with
    `preau token create`)."""

    serializer_class = TokenSerializer
    lookup_value_converter = "id"

    def get_queryset(self) -> QuerySet[PersonalToken]:
        if _fake(self):
            return PersonalToken.objects.none()
        return visible_tokens(request_user(self.request)).order_by("-created_at", "-id")

    def get_object(self) -> PersonalToken:
        return access_own_token(request_user(self.request), _id(self))

    def perform_destroy(self, instance: PersonalToken) -> None:
        do_revoke_token(instance, request_user(self.request))


# Directory ----------------------------------------------------------------------------------

SEARCH_RESULT = PolymorphicProxySerializer(
    component_name="SearchResult",
    serializers={"person": SearchPersonSerializer, "group": SearchGroupSerializer},
    resource_type_field_name="type",
    many=True,
)


class DirectorySearchView(ApiView, GenericAPIView):
    """People first, then groups, in one paginated list."""

    @extend_schema(
        tags=["directory"], parameters=[SearchQuerySerializer], responses=SEARCH_RESULT,
        summary="Search the Annuaire",
        description="People and groups you may reach, accent- and case-insensitive. "
                    "People come first, then groups; `type` tells them apart.",
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        params = _params(SearchQuerySerializer, request)
        q, kind = params.get("q", ""), params.get("type", "")
        profile, school, class_id = (params.get("profile", ""), params.get("school"),
                                     params.get("class"))
        people = queries.search_people(user, q=q, profile=profile, school=school,
                                       class_id=class_id)
        groups = queries.search_groups(user, q=q, profile=profile, school=school,
                                       class_id=class_id)
        paginator = self.paginator
        assert isinstance(paginator, ApiPagination)
        people_page, groups_page = paginator.paginate_querysets(
            [people if kind != "group" else people.none(),
             groups if kind != "person" else groups.none()], request)
        prefetch_related_objects(people_page, schools_prefetch())
        data = [*SearchPersonSerializer(people_page, many=True).data,
                *SearchGroupSerializer(groups_page, many=True).data]
        return paginator.get_paginated_response(data)


@extend_schema(tags=["directory"])
@extend_schema_view(retrieve=extend_schema(
    summary="A person's card",
    description="Birth date, e-mail, INE, login and state only for the person themself and "
                "their administrators.",
))
class PersonViewSet(ApiView, mixins.RetrieveModelMixin, GenericViewSet):
    """People I may reach in the Annuaire."""

    serializer_class = PersonCardSerializer
    lookup_value_converter = "id"

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.none()  # cards are fetched one at a time, by access_person

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request_user(request)
        person = access_person(user, _id(self))
        prefetch_related_objects([person], schools_prefetch())
        context = {"show_private": may_see_private(user, person)}
        return Response(PersonCardSerializer(person, context=context).data)

    @extend_schema(
        request=None, responses={200: ActivationCodeSerializer, 400: REFUSED},
        summary="Reset the password of a pupil I teach (or an account I administer)",
        description="As the web's reset page: a teacher resets the pupils of her classes "
                    "when the feed or an administrator attached her, or the head teacher "
                    "approved her own attachment (403 saying so otherwise). The account "
                    "waits for activation again with the new code returned here; its "
                    "sessions and API tokens end, and a pupil's parents are told.",
    )
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        code = check_reset_password(access_managed_user(actor, pk), actor)
        return Response(ActivationCodeSerializer({"activation_code": code}).data)


@extend_schema(tags=["directory"])
@extend_schema_view(
    list=extend_schema(summary="Classes I may open", parameters=[ClassQuerySerializer]),
    retrieve=extend_schema(summary="A class and its members",
                           description="The members you may see, as on the class page: "
                                       "teachers and staff of the school see everyone; a "
                                       "parent their children, the class's teachers and "
                                       "themself; a pupil their teachers, their parents and "
                                       "themself. `hidden_count` says how many others."),
)
class ClassViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   GenericViewSet):
    """Classes of my schools (teachers, staff, admins) or my own and my children's."""

    lookup_value_converter = "id"

    def get_serializer_class(self) -> type[BaseSerializer]:
        return ClassSerializer if self.action == "list" else ClassDetailSerializer

    def get_queryset(self) -> QuerySet[SchoolClass]:
        if _fake(self):
            return SchoolClass.objects.none()
        params = _params(ClassQuerySerializer, self.request)
        return queries.classes_of_year(request_user(self.request), school=params.get("school"),
                                       year=params.get("year", ""))

    def _detail(self, school_class: SchoolClass) -> Response:
        members, hidden = queries.class_members(request_user(self.request), school_class)
        return Response(ClassDetailSerializer(school_class, context={
            "members": members, "hidden_count": hidden}).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(access_class(request_user(request), _id(self)))

    @extend_schema(
        request=None, responses={200: ClassDetailSerializer, 400: REFUSED},
        summary="Attach myself to this class as its teacher",
        description="Only once at least one pupil of the class is in the ENT.",
    )
    @action(detail=True, methods=["post"])
    def attach(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        school_class = access_class(user, pk)
        check_attach_teacher_to_class(user, school_class, user)
        return self._detail(school_class)


@extend_schema(tags=["directory"])
@extend_schema_view(
    list=extend_schema(summary="Teachers' attachments to classes",
                       parameters=[ClassAttachmentQuerySerializer],
                       description="My own, and those of the schools whose teachers' "
                                   "attachments I approve (head teacher, school admin, ENT "
                                   "admin), for this school year's open classes."),
    retrieve=extend_schema(summary="A teacher's attachment to a class"),
    destroy=extend_schema(
        summary="Remove an attachment made by hand",
        description="The teacher detaches herself, or the head teacher removes it. Links "
                    "made by the feed are refused (400).",
        responses={204: None, 400: REFUSED}),
)
class ClassAttachmentViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.DestroyModelMixin, GenericViewSet):
    """A teacher who attached herself to a class (`origin` "self") may reset its pupils'
    passwords and print its connection sheets only once the head teacher approved it."""

    serializer_class = ClassAttachmentSerializer
    lookup_value_converter = "id"

    def get_queryset(self) -> QuerySet[Membership]:
        if _fake(self):
            return Membership.objects.none()
        params = _params(ClassAttachmentQuerySerializer, self.request)
        links = visible_class_attachments(request_user(self.request))
        if params.get("school"):
            links = links.filter(group__school_class__structure_id=params["school"])
        if params.get("class"):
            links = links.filter(group__school_class_id=params["class"])
        if params.get("pending") is True:
            links = links.filter(PENDING_SELF_ATTACHMENT)
        elif params.get("pending") is False:
            links = links.exclude(PENDING_SELF_ATTACHMENT)
        return links

    def get_object(self) -> Membership:
        return access_class_attachment(request_user(self.request), _id(self))

    def perform_destroy(self, instance: Membership) -> None:
        actor = request_user(self.request)
        school_class = instance.group.school_class
        assert school_class is not None
        if instance.user_id == actor.pk:
            check_detach_teacher_from_class(actor, school_class, actor)
        else:
            link = access_class_attachment(actor, instance.pk, approve=True)
            check_remove_class_attachment(link, actor)

    @extend_schema(request=None, responses={200: ClassAttachmentSerializer, 400: REFUSED},
                   summary="Approve a teacher's own attachment",
                   description="For the school's head teacher, its school admins and ENT "
                               "admins (403 for the teacher herself).")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        link = access_class_attachment(actor, pk, approve=True)
        check_approve_class_attachment(link, actor)
        return Response(ClassAttachmentSerializer(
            access_class_attachment(actor, pk)).data)


@extend_schema(tags=["directory"])
@extend_schema_view(
    list=extend_schema(summary="Groups I may reach", parameters=[GroupQuerySerializer]),
    retrieve=extend_schema(summary="A group and the members I may reach",
                           description="Groups I may address, and those I belong to."),
)
class GroupViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   GenericViewSet):
    """Groups I may find, share with or write to."""

    lookup_value_converter = "id"

    def get_serializer_class(self) -> type[BaseSerializer]:
        return GroupSerializer if self.action == "list" else GroupDetailSerializer

    def get_queryset(self) -> QuerySet[Group]:
        if _fake(self):
            return Group.objects.none()
        params = _params(GroupQuerySerializer, self.request)
        return queries.search_groups(request_user(self.request), q=params.get("q", ""),
                                     kind=params.get("kind", ""), school=params.get("school"),
                                     class_id=params.get("class"))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request_user(request)
        group = access_group(user, _id(self))
        members, hidden = queries.group_members(user, group)
        context = {"members": members, "hidden_count": hidden,
                   "addressable": can_address(user, group)}
        return Response(GroupDetailSerializer(group, context=context).data)


# Share bookmarks ----------------------------------------------------------------------------


@extend_schema(tags=["bookmarks"])
@extend_schema_view(
    list=extend_schema(summary="My share bookmarks"),
    create=extend_schema(request=BookmarkCreateSerializer,
                         responses={201: BookmarkDetailSerializer, 400: REFUSED},
                         summary="Create a share bookmark"),
    retrieve=extend_schema(summary="A bookmark and its members",
                           description="Members you may no longer reach are only listed by "
                                       "member id in `unreachable_members`."),
    partial_update=extend_schema(request=BookmarkRenameSerializer,
                                 responses={200: BookmarkDetailSerializer, 400: REFUSED},
                                 summary="Rename a bookmark"),
    destroy=extend_schema(summary="Delete a bookmark"),
)
class BookmarkViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      GenericViewSet):
    """My share bookmarks (favoris de partage); nobody else sees them."""

    lookup_value_converter = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return BookmarkSerializer if self.action == "list" else BookmarkDetailSerializer

    def get_queryset(self) -> QuerySet[ShareBookmark]:
        if _fake(self):
            return ShareBookmark.objects.none()
        return queries.own_bookmarks(request_user(self.request))

    def get_object(self) -> ShareBookmark:
        return access_bookmark(request_user(self.request), _id(self))

    def _input(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        user = request_user(self.request)
        serializer = serializer_class(data=self.request.data, context={
            "reachable_users": reachable_users(user),
            "addressable_groups": addressable_groups(user),
        })
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, bookmark: ShareBookmark, code: int = status.HTTP_200_OK) -> Response:
        reachable, unreachable = queries.split_bookmark_members(request_user(self.request),
                                                                bookmark)
        context = {"reachable_members": reachable, "unreachable_members": unreachable}
        return Response(BookmarkDetailSerializer(bookmark, context=context).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request) -> Response:
        data = self._input(BookmarkCreateSerializer)
        bookmark = do_create_bookmark(request_user(request), data["name"],
                                      data.get("users", []), data.get("groups", []))
        return self._detail(bookmark, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bookmark = self.get_object()
        do_rename_bookmark(bookmark, self._input(BookmarkRenameSerializer)["name"])
        return self._detail(bookmark)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        do_delete_bookmark(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=BookmarkMembersInputSerializer,
        responses={200: BookmarkDetailSerializer, 400: REFUSED},
        summary="Add people and groups to a bookmark",
        description="Every id must be a person or group you may reach; otherwise nothing is "
                    "added and the answer is 400, the same for an id that does not exist.",
    )
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: int) -> Response:
        bookmark = self.get_object()
        data = self._input(BookmarkMembersInputSerializer)
        do_add_bookmark_members(bookmark, data.get("users", []), data.get("groups", []))
        return self._detail(bookmark)

    @extend_schema(
        request=None, responses={204: None},
        parameters=[OpenApiParameter("member_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The member row's id (not the person's).")],
        summary="Remove a member from a bookmark",
    )
    @action(detail=True, methods=["delete"], url_path="members/<id:member_id>")
    def remove_member(self, request: Request, pk: int, member_id: int) -> Response:
        bookmark = self.get_object()
        member = get_object_or_404(bookmark.members.all(), pk=member_id)
        do_remove_bookmark_member(bookmark, member.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Administration of accounts -----------------------------------------------------------------


@extend_schema(tags=["admin"])
@extend_schema_view(
    list=extend_schema(summary="Accounts I manage", parameters=[AdminUserQuerySerializer]),
    create=extend_schema(request=AdminUserCreateSerializer,
                         responses={201: AdminUserDetailSerializer, 400: REFUSED},
                         summary="Create a manual account in a school I administer",
                         description="Returns the login and the activation code to hand "
                                     "over. Schools fed by the académie take guests, parents "
                                     "and staff only."),
    retrieve=extend_schema(summary="An account I manage"),
    partial_update=extend_schema(request=AdminUserUpdateSerializer,
                                 responses={200: AdminUserDetailSerializer, 400: REFUSED},
                                 summary="Edit an account's identity",
                                 description="Only accounts made by hand or by CSV import: "
                                             "the feed owns the others."),
)
class AdminUserViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       GenericViewSet):
    """ENT admins manage every account; school admins those of their schools."""

    permission_classes = [IsAuthenticated, IsSchoolAdmin]
    lookup_value_converter = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return AdminUserSerializer if self.action == "list" else AdminUserDetailSerializer

    def get_queryset(self) -> QuerySet[User]:
        if _fake(self):
            return User.objects.none()
        params = _params(AdminUserQuerySerializer, self.request)
        users = managed_users(request_user(self.request))
        return with_schools(queries.filter_managed_users(
            users, q=params.get("q", ""), profile=params.get("profile", ""),
            state=params.get("state", ""), school=params.get("school"),
            class_id=params.get("class")))

    def get_object(self) -> User:
        """Reading needs the account to be managed; changing it also refuses a school admin
        the account of an ENT admin."""
        manage = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return access_managed_account(request_user(self.request), _id(self), manage=manage)

    def _administered_input(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        context = {"administered_schools": administered_structures(request_user(self.request))}
        serializer = serializer_class(data=self.request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, user: User, code: int = status.HTTP_200_OK) -> Response:
        prefetch_related_objects([user], schools_prefetch())
        return Response(AdminUserDetailSerializer(user).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request) -> Response:
        data = self._administered_input(AdminUserCreateSerializer)
        user = check_create_account(
            request_user(request), first_name=data["first_name"], last_name=data["last_name"],
            profile=data["profile"], structure=data["school"], email=data["email"],
            birth_date=data["birth_date"])
        return self._detail(user, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identity = {field: serializer.validated_data.get(field, getattr(user, field))
                    for field in ("first_name", "last_name", "email", "birth_date")}
        check_update_identity(user, request_user(request), **identity)
        return self._detail(user)

    @extend_schema(request=BlockSerializer,
                   responses={200: AdminUserDetailSerializer, 400: REFUSED},
                   summary="Block an account")
    @action(detail=True, methods=["post"])
    def block(self, request: Request, pk: int) -> Response:
        user = self.get_object()
        serializer = BlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check_block(user, request_user(request), serializer.validated_data["reason"])
        return self._detail(user)

    @extend_schema(request=None, responses=AdminUserDetailSerializer,
                   summary="Unblock an account")
    @action(detail=True, methods=["post"])
    def unblock(self, request: Request, pk: int) -> Response:
        user = self.get_object()
        do_unblock(user, request_user(request))
        return self._detail(user)

    @extend_schema(request=None, responses={200: ActivationCodeSerializer, 400: REFUSED},
                   summary="Reset a password",
                   description="The account waits for activation again with a new code.")
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Request, pk: int) -> Response:
        user = self.get_object()
        code = check_reset_password(user, request_user(request))
        return Response(ActivationCodeSerializer({"activation_code": code}).data)

    @extend_schema(request=ApiTokensAllowedSerializer,
                   responses={200: AdminUserDetailSerializer},
                   summary="Allow a pupil, parent or guest to hold API tokens",
                   description="ENT admins only (403 for school admins). Teachers, staff and "
                               "ENT admins hold tokens anyway; withdrawing the permission "
                               "revokes the account's tokens.")
    @action(detail=True, methods=["post"], url_path="api-tokens")
    def api_tokens(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        user = self.get_object()
        if not actor.is_ent_admin:
            raise exceptions.PermissionDenied
        serializer = ApiTokensAllowedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        do_set_api_tokens_allowed(user, serializer.validated_data["allowed"], actor)
        return self._detail(user)

    @extend_schema(request=AttachmentInputSerializer,
                   responses={200: AdminUserDetailSerializer},
                   summary="Attach an account to a school I administer")
    @action(detail=True, methods=["post"])
    def attachments(self, request: Request, pk: int) -> Response:
        user = self.get_object()
        school = self._administered_input(AttachmentInputSerializer)["school"]
        do_attach_to_structure(user, school, Source.MANUAL, request_user(request))
        return self._detail(user)

    @extend_schema(
        request=None, responses={204: None},
        parameters=[OpenApiParameter("school_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="A school you administer.")],
        summary="Detach an account from a school I administer",
    )
    @action(detail=True, methods=["delete"], url_path="attachments/<id:school_id>")
    def detach(self, request: Request, pk: int, school_id: int) -> Response:
        actor = request_user(request)
        user = self.get_object()
        school = access_managed_attachment(actor, user, school_id)
        check_detach_from_structure(user, school, actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

