from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormulationsConfig(AppConfig):
    name = "follicle.formulations"
    label = "formulations"
    verbose_name = _("Formulations")
