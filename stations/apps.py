from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Liaison network")

    def ready(self) -> None:
        from PIL import Image

        from stations import audit_events  # noqa: F401  (connects the sign-in receivers)
        from stations.log_masking import install_record_factory
        from stations.validators import PHOTO_MAX_PIXELS

        install_record_factory()
        # Pillow warns above this many pixels and refuses twice as many, wherever an image is opened (Django's
        # ImageField included); the photo validators refuse anything above it with a message.
        Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS
