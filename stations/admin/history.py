"""Change history in the admin with personal data masked.

simple_history's history page lists, for each version, the fields that changed with their old and new values;
a corrected phone number would stand there in full for anybody who may open the page. Values go through the
same masking as the audit log: phones, e-mails and voters' names masked, any mobile number in other text too.
"""

from __future__ import annotations

from typing import Any

from simple_history.template_utils import HistoricalRecordContextHelper

from stations.audit import masked_value


class MaskedHistoryContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value) -> Any:
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, str):
            return masked_value(change.field, value)
        return value
