"""Django's admin site, for operators only (is_staff means is_superuser). Writes that have a
`do_*` action go through it, so the user's history stays complete."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from preau.accounts.actions import do_block, do_unblock
from preau.accounts.models import PersonalToken, User, UserEvent


class UserEventInline(admin.TabularInline):
    model = UserEvent
    fk_name = "user"
    fields = ("at", "kind", "actor", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("login", "last_name", "first_name", "profile", "state", "source",
                    "federated")
    list_filter = ("profile", "state", "source", "federated", "is_ent_admin")
    search_fields = ("login", "last_name", "first_name", "ine", "academic_email")
    exclude = ("password",)
    readonly_fields = ("activation_code", "activated_at", "charter_accepted_at",
                       "password_changed_at", "blocked_at", "last_login", "created_at")
    inlines = [UserEventInline]
    actions = ["block_users", "unblock_users"]

    @admin.action(description=_("Block the selected accounts"))
    def block_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        for user in queryset:
            do_block(user, actor, "django-admin")

    @admin.action(description=_("Unblock the selected accounts"))
    def unblock_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        for user in queryset:
            do_unblock(user, actor)


@admin.register(PersonalToken)
class PersonalTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    search_fields = ("user__login", "name", "prefix")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created by their owner, shown once
