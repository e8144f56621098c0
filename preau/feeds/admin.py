"""Feed runs in Django's admin site, read-only: operators read them, runs write them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from preau.feeds.models import FeedIssue, FeedRun


class FeedIssueInline(admin.TabularInline):
    model = FeedIssue
    extra = 0
    can_delete = False
    fields = ("severity", "file", "line", "code", "message")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeedRun)
class FeedRunAdmin(admin.ModelAdmin):
    list_display = ("id", "started_at", "format", "prefix", "school_uai", "status",
                    "actor_label", "duration_seconds")
    list_filter = ("status", "format", "prefix")
    inlines = [FeedIssueInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in FeedRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
