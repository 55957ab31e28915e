"""Validators shared by forms and models."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from stations.phones import LANDLINE, MOBILE


def normalise_phone(value: str) -> str:
    """Drop spaces and a leading +86 so that numbers are stored one way."""
    value = re.sub(r"[\s()]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_phone(value: str) -> None:
    value = normalise_phone(value)
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(
            _(
                "Enter a mainland mobile number (11 digits, e.g. 13812345678) or a landline with area code (e.g. 0573-82345678)."
            ),
            code="invalid_phone",
        )


def validate_image_content(photo) -> None:
    """The upload really is an image (Pillow can read it), whatever its file name says. Forms check this
    through ImageField already; full_clean() on the model does not, so imports and services rely on this."""
    position = photo.tell() if hasattr(photo, "tell") else None
    try:
        photo.open()
        with Image.open(photo) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("The file is not an image we can read; upload a JPEG, PNG or WebP photo."), code="invalid_image"
        ) from error
    finally:
        if position is not None:
            photo.seek(position)
