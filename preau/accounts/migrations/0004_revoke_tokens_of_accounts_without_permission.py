"""Pupils', parents' and guests' personal API tokens are revoked: from now on only teachers,
staff, ENT admins and accounts an ENT admin allows hold any (see User.may_hold_api_tokens).
Revoked rather than merely refused, so that a later permission does not revive them."""

from django.db import migrations
from django.utils import timezone


def revoke(apps, schema_editor):
    PersonalToken = apps.get_model("accounts", "PersonalToken")
    PersonalToken.objects.filter(revoked_at__isnull=True).exclude(
        user__profile__in=("Teacher", "Personnel")).exclude(user__is_ent_admin=True).update(
        revoked_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_session_salt_and_api_token_permission"),
    ]

    operations = [
        migrations.RunPython(revoke, migrations.RunPython.noop),
    ]
