"""Bring deputies' photos stored before the upload rules to them (stations/photos.py):

manage.py normalise_photos

Each photo larger than the pages show, not a JPEG, or carrying metadata (EXIF, GPS) is stored again
re-encoded and the old file deleted. A photo that is unreadable or has too many pixels to open safely is
deleted and the deputy shows the placeholder until an administrator uploads another; those are listed.
Running it again changes nothing.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from PIL import Image

from stations import caching
from stations.audit import Actor, audit
from stations.models import AuditAction, Deputy
from stations.photos import PHOTO_STORED_SIZE, deputy_photo_normalised
from stations.validators import validate_image_content


def _already_normal(photo) -> bool:
    photo.open("rb")
    try:
        with Image.open(photo) as image:
            width, height = image.size
            return (
                image.format == "JPEG"
                and width <= PHOTO_STORED_SIZE[0]
                and height <= PHOTO_STORED_SIZE[1]
                and not image.getexif()
            )
    finally:
        photo.close()


class Command(BaseCommand):
    help = "Re-encode deputies' stored photos at the size the pages show, without metadata."

    def handle(self, *args, **options) -> None:
        reencoded, removed = 0, []
        for deputy in Deputy.objects.exclude(photo="").order_by("pk"):
            photo = deputy.photo
            old_name = photo.name
            if not photo.storage.exists(old_name):
                continue
            try:
                photo.open("rb")
                validate_image_content(photo)
            except ValidationError:
                photo.close()
                photo.storage.delete(old_name)
                deputy.photo = ""
                deputy.save(update_fields=["photo"])
                caching.invalidate(caching.deputy_scopes(deputy))  # the placeholder shows instead
                removed.append(deputy.slug)
                continue
            photo.close()
            if _already_normal(photo):
                continue
            photo.open("rb")
            try:
                normalised = deputy_photo_normalised(photo)
            finally:
                photo.close()
            deputy.photo.save(normalised.name, normalised, save=False)
            deputy.save(update_fields=["photo"])
            caching.invalidate(caching.deputy_scopes(deputy))  # the pages link the new file
            photo.storage.delete(old_name)
            reencoded += 1
        if reencoded or removed:
            audit(
                action=AuditAction.PHOTOS_NORMALISED,
                actor=Actor.system(),
                summary=f"normalise_photos: {reencoded} deputy photos re-encoded, {len(removed)} removed",
                changes={"reencoded": reencoded, "removed": removed},
            )
        self.stdout.write(f"Re-encoded {reencoded} photos.")
        for slug in removed:
            self.stdout.write(f"Removed an unreadable or oversized photo: {slug} (upload another in the admin).")
