from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Liaison network")

    def ready(self) -> None:
        from stations import audit_events  # noqa: F401  (connects the sign-in receivers)
        from stations.log_masking import install_record_factory

        install_record_factory()
