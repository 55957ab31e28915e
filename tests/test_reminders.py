"""manage.py send_reminders: deputies the day before, deadlines near and past, voters answered and asked whether
they are satisfied; twice sends nothing twice."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from stations.audit import Actor, AuditAction
from stations.clock import local_today
from stations.models import AuditEntry, HandlingBody, SentReminder, State
from stations.services import opinions as services
from stations.services.reminders import reminders_send
from tests.factories_opinions import make_opinion
from tests.factories_rosters import make_shift

VOTER_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _email_and_sms(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFIER = "stations.notifications.EmailNotifier,stations.notifications.FileSmsNotifier"
    settings.SMS_OUTBOX = str(tmp_path / "sms.log")
    settings.REMINDER_DEADLINE_DAYS = 3


def sms(settings) -> list[dict]:
    try:
        with open(settings.SMS_OUTBOX, encoding="utf-8") as outbox:
            return [json.loads(line) for line in outbox]
    except FileNotFoundError:
        return []


def run(capsys=None) -> str:
    call_command("send_reminders")
    return capsys.readouterr().out if capsys else ""


def tomorrow_at_nine():
    day = local_today() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def test_a_deputy_is_reminded_the_day_before_by_email_and_text_once(room, deputies, erin, settings, capsys):
    erin.email = "gu@example.cn"
    erin.save()
    deputies[0].phone = "13705731234"
    deputies[0].save()
    make_shift(room, tomorrow_at_nine(), deputies=deputies[:1], published=True)
    make_shift(room, tomorrow_at_nine() + dt.timedelta(days=1), deputies=deputies[1:2], published=True)  # not yet
    make_shift(room, tomorrow_at_nine() + dt.timedelta(hours=1), deputies=deputies[2:], published=False)  # draft

    out = run(capsys)

    assert "Sent 1 reminders" in out
    assert [message.to for message in mail.outbox] == [["gu@example.cn"]]
    assert "明天" in mail.outbox[0].subject and "金星村代表联络室" in mail.outbox[0].subject
    assert "09:00" in mail.outbox[0].body
    assert [text["to"] for text in sms(settings)] == ["13705731234"]

    out = run(capsys)

    assert "Sent 0 reminders" in out and "already sent before: 1" in out
    assert len(mail.outbox) == 1 and len(sms(settings)) == 1
    assert AuditEntry.objects.filter(action=AuditAction.REMINDER_SENT).count() == 1


def test_handling_body_and_station_head_hear_of_a_near_deadline_then_once_more_when_it_passed(room, bob):
    bob.email = "bob@example.cn"
    bob.save()
    body = HandlingBody.objects.create(name="区水利局", email="slj@example.cn")
    opinion = make_opinion(room, State.ACCEPTED)
    services.opinion_refer(
        opinion=opinion, body=body, deadline=local_today() + dt.timedelta(days=2), actor=Actor.system()
    )

    reminders_send(actor=Actor.system())
    assert sorted(address for message in mail.outbox for address in message.to) == ["bob@example.cn", "slj@example.cn"]
    assert all("提醒" in message.subject for message in mail.outbox)

    reminders_send(actor=Actor.system())
    assert len(mail.outbox) == 2  # nothing twice

    three_days_later = timezone.now() + dt.timedelta(days=3)
    reminders_send(actor=Actor.system(), now=three_days_later)
    assert len(mail.outbox) == 4
    assert all("已逾期" in message.subject for message in mail.outbox[2:])
    reminders_send(actor=Actor.system(), now=three_days_later + dt.timedelta(days=1))
    assert len(mail.outbox) == 4


def test_a_deadline_further_away_or_already_answered_reminds_nobody(room, bob):
    bob.email = "bob@example.cn"
    bob.save()
    far = make_opinion(room, State.ACCEPTED)
    services.opinion_refer(
        opinion=far,
        body=HandlingBody.objects.create(name="区民政局"),
        deadline=local_today() + dt.timedelta(days=10),
        actor=Actor.system(),
    )
    make_opinion(room, State.REPLIED)
    reminders_send(actor=Actor.system())
    assert mail.outbox == []


def test_a_voter_with_a_phone_is_texted_the_answer_and_asked_once_resolved(room, settings):
    opinion = make_opinion(room, State.REPLIED, submitter_phone=VOTER_PHONE, consent=True)
    reminders_send(actor=Actor.system())
    texts = sms(settings)
    assert [text["to"] for text in texts] == [VOTER_PHONE]
    assert "已有答复" in texts[0]["text"] and f"/track/{opinion.tracking_code}/" in texts[0]["text"]

    services.opinion_resolve(opinion=opinion, actor=Actor.system())
    reminders_send(actor=Actor.system())
    reminders_send(actor=Actor.system())
    texts = sms(settings)
    assert len(texts) == 2
    assert "是否满意" in texts[1]["text"] and f"/track/{opinion.tracking_code}/#satisfaction" in texts[1]["text"]


def test_a_voter_with_an_email_is_asked_by_email_and_not_after_answering(room):
    make_opinion(room, State.RESOLVED, submitter_email="wang@example.cn", consent=True)
    mail.outbox.clear()  # the immediate notices of each step (stations.services.opinions)
    reminders_send(actor=Actor.system())
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wang@example.cn"]
    assert "#satisfaction" in mail.outbox[0].body

    other = make_opinion(room, State.RESOLVED, submitter_email="li@example.cn", consent=True)
    services.opinion_voter_answer(opinion=other, satisfaction="satisfied", actor=Actor.system())
    mail.outbox.clear()
    reminders_send(actor=Actor.system())
    assert mail.outbox == []


def test_old_answers_and_voters_without_consent_are_left_alone(room, settings):
    make_opinion(room, State.RESOLVED, submitter_phone=VOTER_PHONE)  # no consent recorded
    reminders_send(actor=Actor.system(), now=timezone.now() + dt.timedelta(days=settings.REMINDER_LOOKBACK_DAYS + 1))
    reminders_send(actor=Actor.system())
    assert sms(settings) == []


class Broken:
    def send(self, *, recipients, notice):
        raise ConnectionError("gateway down")


def test_a_failed_send_leaves_no_record_and_the_next_run_retries(room, deputies, erin, settings):
    erin.email = "gu@example.cn"
    erin.save()
    make_shift(room, tomorrow_at_nine(), deputies=deputies[:1], published=True)
    settings.NOTIFIER = "tests.test_reminders.Broken"
    run_ = reminders_send(actor=Actor.system())
    assert run_.failed == 1 and not SentReminder.objects.exists()
    settings.NOTIFIER = "stations.notifications.EmailNotifier"
    reminders_send(actor=Actor.system())
    assert len(mail.outbox) == 1


def test_a_dry_run_sends_and_records_nothing(room, deputies, erin, capsys):
    erin.email = "gu@example.cn"
    erin.save()
    make_shift(room, tomorrow_at_nine(), deputies=deputies[:1], published=True)
    call_command("send_reminders", "--dry-run")
    assert "Would send 1 reminders" in capsys.readouterr().out
    assert mail.outbox == [] and not SentReminder.objects.exists()
