"""REST API v1 of the year change: the plan and the approved run (ENT admins), and each
owner's shares to class groups with the two ways to keep them (anyone).

Same rules and actions as the console and the owners' page (`preau.yearchange`).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from preau.api.permissions import request_user
from preau.api.serializers import IdField
from preau.api.views import ApiView
from preau.directory.models import Academy
from preau.yearchange.actions import check_approve_plan, do_plan
from preau.yearchange.models import TransitionRun
from preau.yearchange.owners import (
    PurgeableShare,
    access_purgeable_share,
    check_convert_to_members,
    check_hand_to_teacher,
    next_year_teachers,
    purgeable_shares,
)
from preau.yearchange.tasks import run_approved_transition


class IsEntAdmin(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_ent_admin", False))


class YearChangeApiView(ApiView, GenericAPIView):
    pass


class RunSerializer(serializers.ModelSerializer):
    from_year = serializers.CharField(source="from_year.name")
    report = serializers.JSONField(
        help_text="The JSON report: schools, class_groups_closed, memberships_ended, "
                  "shares_purged, shares_kept (per app and total), errors…")

    class Meta:
        model = TransitionRun
        fields = ["id", "status", "from_year", "started_at", "finished_at", "actor_label",
                  "plan", "report"]


class PlanRequestSerializer(serializers.Serializer):
    academy = serializers.CharField(required=False, allow_blank=True,
                                    help_text="académie prefix; every académie if omitted")


class PurgeableShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="share.pk")
    resource = serializers.SerializerMethodField()
    name = serializers.CharField(source="label")
    group = serializers.CharField(source="share.group.name")
    group_id = serializers.IntegerField(source="share.group_id")
    members = serializers.IntegerField()
    rights = serializers.SerializerMethodField()

    def get_resource(self, item: PurgeableShare) -> str:
        return f"{item.share.resource_type}:{item.share.resource_id}"

    def get_rights(self, item: PurgeableShare) -> list[str]:
        return sorted(item.share.rights)


class HandOverSerializer(serializers.Serializer):
    teacher = IdField(help_text="id of a teacher the caller may reach")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RunListView(YearChangeApiView):
    permission_classes = [IsAuthenticated, IsEntAdmin]
    serializer_class = RunSerializer

    @extend_schema(responses=RunSerializer(many=True), summary="Year-change plans and runs")
    def get(self, request: Request) -> Response:
        runs = TransitionRun.objects.select_related("from_year")[:50]
        return Response(RunSerializer(runs, many=True).data)


class RunDetailView(YearChangeApiView):
    permission_classes = [IsAuthenticated, IsEntAdmin]
    serializer_class = RunSerializer

    @extend_schema(responses=RunSerializer, summary="One plan or run, with its report")
    def get(self, request: Request, pk: int) -> Response:
        return Response(RunSerializer(get_object_or_404(TransitionRun, pk=pk)).data)


class PlanView(YearChangeApiView):
    permission_classes = [IsAuthenticated, IsEntAdmin]
    serializer_class = PlanRequestSerializer

    @extend_schema(request=PlanRequestSerializer, responses={201: RunSerializer},
                   summary="Plan the transition (nothing changes)")
    def post(self, request: Request) -> Response:
        data = PlanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        academy = None
        if data.validated_data.get("academy"):
            academy = get_object_or_404(Academy, feed_prefix=data.validated_data["academy"])
        run = do_plan(request_user(request), timezone.localdate(), academy)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class ApproveView(YearChangeApiView):
    permission_classes = [IsAuthenticated, IsEntAdmin]
    serializer_class = RunSerializer

    @extend_schema(request=None, responses={202: RunSerializer, 400: DetailSerializer},
                   summary="Approve a plan: the transition runs in the background")
    def post(self, request: Request, pk: int) -> Response:
        plan = get_object_or_404(TransitionRun, pk=int(pk))
        queued = check_approve_plan(request_user(request), plan)
        run_approved_transition.enqueue(queued.pk)
        queued.refresh_from_db()
        return Response(RunSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class ClassGroupSharesView(YearChangeApiView):
    serializer_class = PurgeableShareSerializer

    @extend_schema(responses=PurgeableShareSerializer(many=True),
                   summary="My shares to class groups (purged at the year change)")
    def get(self, request: Request) -> Response:
        items = purgeable_shares(request_user(request))
        return Response(PurgeableShareSerializer(items, many=True).data)


class ConvertView(YearChangeApiView):
    serializer_class = DetailSerializer

    @extend_schema(request=None, responses={200: DetailSerializer, 400: DetailSerializer},
                   summary="Replace the class-group share by named shares to its members")
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        item = access_purgeable_share(user, int(pk))
        count = check_convert_to_members(user, item)
        return Response({"detail": f"{count}"})


class HandOverView(YearChangeApiView):
    serializer_class = HandOverSerializer

    @extend_schema(request=HandOverSerializer,
                   responses={200: DetailSerializer, 400: DetailSerializer},
                   summary="Share with next year's teacher with the manage right")
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        item = access_purgeable_share(user, int(pk))
        data = HandOverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        teacher = next_year_teachers(user).filter(pk=data.validated_data["teacher"]).first()
        if teacher is None:
            return Response({"detail": "unknown teacher"}, status=status.HTTP_400_BAD_REQUEST)
        share = check_hand_to_teacher(user, item, teacher)
        return Response({"detail": f"share {share.pk}"})

