from django.contrib import admin

from preau.accounts.models import PersonalToken, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("login", "last_name", "first_name", "profile", "state", "source")
    list_filter = ("profile", "state", "source")
    search_fields = ("login", "last_name", "first_name", "ine", "academic_email")
    exclude = ("password",)


admin.site.register(PersonalToken)
