"""What a mainland phone number looks like: the one definition, used by validation, masking on pages and
masking in the logs.

A mobile number is 11 digits from 13… to 19…; a landline is an area code 0xx or 0xxx and 7–8 digits.
Stored numbers are written one way (`stations.validators.normalise_phone`); typed into free text they may be
grouped with spaces or hyphens and carry +86.
"""

from __future__ import annotations

import re

_MOBILE = r"1[3-9]\d{9}"
_LANDLINE = r"0\d{2,3}-?\d{7,8}"
_EXTENSION = r"(?:-\d{1,6})?"
# The same numbers as people write them in text: groups separated by a space or a hyphen.
_MOBILE_WRITTEN = r"1[3-9]\d(?:[\s-]?\d){8}"
_LANDLINE_WRITTEN = r"0\d{2,3}[\s-]?\d{7,8}"
_COUNTRY_CODE = r"\+?86[\s-]?"

# A whole field's value (after normalise_phone).
MOBILE = re.compile(rf"^{_MOBILE}$")
LANDLINE = re.compile(rf"^{_LANDLINE}{_EXTENSION}$")

# Phone numbers inside free text, not part of a longer run of digits (order numbers, timestamps stay).
PHONE_IN_TEXT = re.compile(rf"(?<!\d)(?:{_COUNTRY_CODE})?(?:{_MOBILE_WRITTEN}|{_LANDLINE_WRITTEN})(?!\d)")
# Phone numbers, or any other bare run of 7 or more digits (which also catches identity-card numbers): what
# pages shown outside the station hide. Years, amounts and references such as NH-2027-00042 have shorter runs.
PHONE_OR_LONG_NUMBER_IN_TEXT = re.compile(
    rf"(?<!\d)(?:{_COUNTRY_CODE})?(?:{_MOBILE_WRITTEN}|{_LANDLINE_WRITTEN}|\d{{7,}})(?!\d)"
)
COUNTRY_CODE = re.compile(rf"^{_COUNTRY_CODE}")
