"""Model labels the console displays, listed so the console's French catalogue covers them.

The labels belong to the directory's models; its own catalogue comes first (apps listed
earlier in INSTALLED_APPS win). These entries only fill gaps, so that the console reads in
French even while the directory's catalogue lacks a label (the accounts' labels are
already translated by the accounts catalogue).
Nothing imports this module: `makemessages` reads it.
"""

from django.utils.translation import gettext_noop

LABELS = (
    # GroupKind
    gettext_noop("School profile group"), gettext_noop("Class profile group"),
    gettext_noop("Functional group"), gettext_noop("Manual group"),
    # CommunicationScope
    gettext_noop("People of the same school"), gettext_noop("People of the same class"),
    gettext_noop("People of their children's classes"),
    gettext_noop("Head teacher of their children's school"),
    gettext_noop("Their own children"), gettext_noop("Their own parents"),
)
