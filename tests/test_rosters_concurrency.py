"""Two heads putting the same deputy on overlapping shifts at the same moment: exactly one succeeds.

The conflict check is widened with a pause after its query (the real check still runs), so without the row
locks both transactions would pass it and the deputy would end up at two places at once."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

import stations.services.rosters as services
from stations.audit import Actor
from stations.models import Duty
from tests.factories_rosters import at, make_shift

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_assignments_of_one_deputy_cannot_both_pass(room, other_room, deputies, dana, monkeypatch):
    first = make_shift(room, at(2027, 6, 20, 9), at(2027, 6, 20, 11, 30))
    second = make_shift(other_room, at(2027, 6, 20, 10), at(2027, 6, 20, 12))
    deputy = deputies[0]
    real_check = services.busy_between

    def slow_check(**kwargs):
        found = real_check(**kwargs)
        time.sleep(0.4)
        return found

    monkeypatch.setattr(services, "busy_between", slow_check)
    start = threading.Barrier(2)
    outcomes = []

    def assign(shift):
        start.wait()
        try:
            services.duty_assign(shift=shift, deputy=deputy, actor=Actor(user=dana))
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        except OperationalError as error:
            # SQLite's shared in-memory test database reports the writer lock at once instead of waiting.
            outcomes.append(f"locked: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(shift,)) for shift in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    assert Duty.objects.filter(deputy=deputy).count() == 1
    refusal = next(outcome for outcome in outcomes if outcome != "ok")
    if connection.vendor == "postgresql":  # the second head waited for the first and got the conflict message
        assert deputy.name in refusal and room.name in refusal and other_room.name in refusal
