"""Phone numbers as people type them (issue 13): one normalisation, in stations/phones.py."""

import pytest

from stations.phones import normalise_phone
from stations.validators import validate_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits, as Chinese input methods give them
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("＋８６－１３８－１２３４－５６７８", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("0573-82345678", "0573-82345678"),
        ("０５７３－８２３４５６７８", "0573-82345678"),
        ("(0573) 8234 5678", "057382345678"),
        ("0573-82345678-123", "0573-82345678-123"),
    ],
)
def test_it_writes_a_typed_number_one_way(typed, stored):
    assert normalise_phone(typed) == stored
    validate_phone(typed)


@pytest.mark.parametrize("typed", ["12345", "1381234567", "abc", "+1 202 555 0100"])
def test_what_is_not_a_phone_number_stays_refused(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_phone(typed)
