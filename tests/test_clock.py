"""The portal's clock: Beijing time whatever the server's own zone, and limits written as people say them."""

import datetime as dt

from django.utils import translation

from stations.clock import duration_text, local_date, local_moment, local_today, start_of_day


def test_it_puts_a_moment_after_four_thirty_pm_utc_on_the_next_local_day():
    late_utc = dt.datetime(2027, 2, 28, 16, 30, tzinfo=dt.UTC)
    assert local_date(late_utc) == dt.date(2027, 3, 1)


def test_it_starts_a_local_day_at_local_midnight():
    assert start_of_day(dt.date(2027, 3, 1)) == dt.datetime(2027, 2, 28, 16, 0, tzinfo=dt.UTC)
    assert local_moment(dt.date(2027, 3, 20), dt.time(9)) == dt.datetime(2027, 3, 20, 1, 0, tzinfo=dt.UTC)


def test_it_gives_today_in_beijing_time(time_machine):
    time_machine.move_to(dt.datetime(2027, 3, 19, 17, 0, tzinfo=dt.UTC))
    assert local_today() == dt.date(2027, 3, 20)


def test_it_writes_limits_in_hours_or_minutes():
    with translation.override("en"):
        assert duration_text(12 * 60 * 60) == "12 hours"
        assert duration_text(60 * 60) == "1 hour"
        assert duration_text(30 * 60) == "30 minutes"
        assert duration_text(90 * 60) == "90 minutes"
    with translation.override("zh-hans"):
        assert duration_text(12 * 60 * 60) == "12 小时"
