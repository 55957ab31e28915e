from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from PIL import Image

from stations.log_masking import install_record_factory
from stations.validators import PHOTO_MAX_PIXELS


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Liaison network")

    def ready(self) -> None:
        # Imported here, not at the top: it imports models, which cannot load before the app registry is ready.
        from stations import audit_events  # noqa: F401  (connects the sign-in receivers)

        install_record_factory()
        # Pillow warns above this many pixels and refuses twice as many, wherever an image is opened (Django's
        # ImageField included); the photo validators refuse anything above it with a message.
        Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS
