from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearChangeConfig(AppConfig):
    name = "preau.yearchange"
    label = "yearchange"
    verbose_name = _("Year change")
