"""Sizes as users read them everywhere (quotas, files, refusals): binary units under the
names French users know (1 Go = 1 024 Mo, as the quota form counts them), a decimal only
when needed."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def size_label(size: int) -> str:
    units = ((1024 ** 4, _("%(size)s TB")), (1024 ** 3, _("%(size)s GB")),
             (1024 ** 2, _("%(size)s MB")), (1024, _("%(size)s KB")))
    for factor, text in units:
        if size >= factor:
            value = round(size / factor, 1)
            decimals = 0 if value == int(value) else 1
            return text % {"size": number_format(value, decimals)}
    return ngettext("%(size)s byte", "%(size)s bytes", size) % {"size": number_format(size, 0)}
