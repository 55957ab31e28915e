"""Deputies' photos are stored re-encoded at the size the pages show, without the upload's metadata.

The pages show a photo at most 150 × 200 CSS pixels (the deputy's page; 72 × 96 on cards, 20 × 25 mm on the
printed poster). The stored copy fits in PHOTO_STORED_SIZE (three times that, for sharp high-density
screens and print) as a JPEG: every visitor's browser decodes at most about 2 MB, whatever was uploaded,
and the upload's EXIF (camera, time, GPS position) is not carried over. Deputy.clean() calls this, so the
admin's form and any full_clean() path store the same thing; the upload has passed the validators
(type, 2 MB, pixel count) by then.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

PHOTO_STORED_SIZE = (600, 800)
PHOTO_JPEG_QUALITY = 85


def deputy_photo_normalised(photo) -> ContentFile:
    """The photo as it is stored: upright (EXIF orientation applied), at most PHOTO_STORED_SIZE, JPEG,
    no metadata. Raises Pillow's errors for an unreadable file: call it after the field's validators."""
    photo.open()
    photo.seek(0)
    with Image.open(photo) as opened:
        image: Image.Image = ImageOps.exif_transpose(opened)
        image.thumbnail(PHOTO_STORED_SIZE, Image.Resampling.LANCZOS)
        if image.mode in ("RGBA", "LA", "P", "PA"):
            # Transparent parts (of a PNG or WebP) become white, as on the page's card.
            image = image.convert("RGBA")
            flattened = Image.new("RGB", image.size, (255, 255, 255))
            flattened.paste(image, mask=image.getchannel("A"))
            image = flattened
        elif image.mode != "RGB":
            image = image.convert("RGB")
        buffer = io.BytesIO()
        # No exif= and no icc_profile=: Pillow writes neither unless asked.
        image.save(buffer, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True, progressive=True)
    stem = PurePosixPath(photo.name or "photo").stem or "photo"
    return ContentFile(buffer.getvalue(), name=f"{stem}.jpg")
