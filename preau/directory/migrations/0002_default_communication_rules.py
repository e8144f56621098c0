"""Loads the reference ENT's default communication rules (editable later by ENT admins)."""

from django.db import migrations

# Frozen copy of preau.directory.communication.DEFAULT_RULES at the time of this migration.
RULES = [
    ("Teacher", "same_school", "", True),
    ("Personnel", "same_school", "", True),
    ("Student", "same_class", "Teacher", True),
    ("Student", "same_class", "Student", False),
    ("Student", "own_relatives", "", True),
    ("Relative", "children_classes", "Teacher", True),
    ("Relative", "children_direction", "", True),
    ("Relative", "own_children", "", True),
    ("Relative", "children_classes", "Relative", False),
    ("Guest", "same_school", "Teacher", True),
    ("Guest", "same_school", "Personnel", True),
]


def load(apps, schema_editor):
    rule = apps.get_model("directory", "CommunicationRule")
    for sender, scope, receiver, enabled in RULES:
        rule.objects.get_or_create(sender_profile=sender, scope=scope, receiver_profile=receiver,
                                   defaults={"enabled": enabled})


def unload(apps, schema_editor):
    apps.get_model("directory", "CommunicationRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
