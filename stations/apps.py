from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from stations.log_masking import install_record_factory


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Liaison network")

    def ready(self) -> None:
        # Imported here, not at the top: it imports models, which cannot load before the app registry is ready.
        from stations import audit_events  # noqa: F401  (connects the sign-in receivers)

        install_record_factory()
