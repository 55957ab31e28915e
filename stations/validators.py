"""Validators shared by forms and models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from stations.phones import LANDLINE, MOBILE, normalise_phone

# The largest primary key a database holds (a signed 64-bit integer): a bigger number is not an id, and SQLite's
# driver would fail on it instead of answering "no such row".
LARGEST_PK = 2**63 - 1


def pk_from(value: object) -> int | None:
    """A posted or remembered id as a number, None when it cannot be one."""
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) <= LARGEST_PK else None


def validate_phone(value: str) -> None:
    value = normalise_phone(value)
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(
            _(
                "Enter a mainland mobile number (11 digits, e.g. 13812345678) or a landline with area code (e.g. 0573-82345678)."
            ),
            code="invalid_phone",
        )


# A photo's pixel count bounds what opening it costs: decoding takes about 4 bytes a pixel, so 40 megapixels
# is some 160 MB on the server once, while the stored copy is re-encoded small (stations.photos). A PNG of a
# few hundred KB can claim 144 megapixels (12000 × 12000); it is refused from its header, before decoding.
# Pillow's own bomb guard (Image.MAX_IMAGE_PIXELS) is set to the same number in StationsConfig.ready().
PHOTO_MAX_PIXELS = 40_000_000


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The image has too many pixels (at most 40 megapixels, e.g. 5000 × 8000); please upload a smaller one."),
        code="too_many_pixels",
    )


def validate_image_pixels(photo) -> None:
    """Refuse an image whose header claims more than PHOTO_MAX_PIXELS, without decoding it. A file Pillow
    cannot identify passes here and is refused by validate_image_content."""
    position = photo.tell() if hasattr(photo, "tell") else None
    try:
        photo.open()
        with Image.open(photo) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return
    finally:
        if position is not None:
            photo.seek(position)
    if width * height > PHOTO_MAX_PIXELS:
        raise _too_many_pixels()


def validate_image_content(photo) -> None:
    """The upload really is an image (Pillow can read it), whatever its file name says, and not too many
    pixels to open. Forms check readability through ImageField already; full_clean() on the model does not,
    so imports and services rely on this."""
    validate_image_pixels(photo)
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


def full_clean_with(instance: Any, errors: dict[str, list[str]], *, exclude: Sequence[str] = ()) -> None:
    """Run the model's own checks and raise them together with the service's `errors` (field → messages), so a
    form shows every problem next to its field at once rather than the service's first, then the model's."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
