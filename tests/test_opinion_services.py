"""The handling workflow: every allowed and every forbidden step, flags, notices, concurrency."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from stations.audit import Actor
from stations.models import AuditEntry, Category, Opinion, OpinionAction, OpinionEvent, Satisfaction, State
from stations.services import opinions as services
from tests.conftest import make_user
from tests.factories_opinions import make_body, make_opinion

# The workflow as the issue states it, written out here (not read from the code under test).
ALLOWED = [
    ("accept", State.REGISTERED, State.ACCEPTED),
    ("not_accept", State.REGISTERED, State.NOT_ACCEPTED),
    ("refer", State.ACCEPTED, State.REFERRED),
    ("reply", State.REFERRED, State.REPLIED),
    ("resolve", State.REPLIED, State.RESOLVED),
    ("explain", State.REPLIED, State.EXPLAINED),
    ("close", State.RESOLVED, State.CLOSED),
    ("close", State.EXPLAINED, State.CLOSED),
    ("reopen", State.CLOSED, State.REFERRED),  # after an unsatisfied close
]
# The audit code each step writes.
CODES = {
    "accept": "opinion.accepted",
    "not_accept": "opinion.not_accepted",
    "refer": "opinion.referred",
    "reply": "opinion.replied",
    "resolve": "opinion.resolved",
    "explain": "opinion.explained",
    "close": "opinion.closed",
    "reopen": "opinion.reopened",
}
ACTIONS = ["accept", "not_accept", "refer", "reply", "resolve", "explain", "close", "reopen"]
FORBIDDEN = [
    (action, state)
    for action in ACTIONS
    for state in State.values
    if (action, state) not in {(a, s) for a, s, _ in ALLOWED}
]


def run(action: str, opinion: Opinion, actor, **extra) -> Opinion:
    """Call the service for `action` with plausible arguments."""
    body = make_body("区交通运输局")
    calls = {
        "accept": lambda: services.opinion_accept(opinion=opinion, actor=Actor(user=actor), note="予以受理", **extra),
        "not_accept": lambda: services.opinion_not_accept(
            opinion=opinion, actor=Actor(user=actor), reason="已有判决", **extra
        ),
        "refer": lambda: services.opinion_refer(
            opinion=opinion, actor=Actor(user=actor), body=body, note="请尽快办理", **extra
        ),
        "reply": lambda: services.opinion_reply(opinion=opinion, actor=Actor(user=actor), reply="已修复路灯", **extra),
        "resolve": lambda: services.opinion_resolve(
            opinion=opinion, actor=Actor(user=actor), note="经回访已解决", **extra
        ),
        "explain": lambda: services.opinion_explain(
            opinion=opinion, actor=Actor(user=actor), explanation="资金待落实", **extra
        ),
        "close": lambda: services.opinion_close(
            opinion=opinion, actor=Actor(user=actor), satisfaction=Satisfaction.SATISFIED, note="电话回访", **extra
        ),
        "reopen": lambda: services.opinion_reopen(
            opinion=opinion, actor=Actor(user=actor), body=body, note="再次交办", **extra
        ),
    }
    return calls[action]()


@pytest.mark.parametrize(("action", "from_state", "to_state"), ALLOWED, ids=[f"{a}-from-{s}" for a, s, _ in ALLOWED])
def test_every_allowed_step_moves_the_state_and_records_who_when_and_a_note(action, from_state, to_state, room, alice):
    opinion = make_opinion(room, from_state, actor=alice)
    before_events, before_audit = opinion.events.count(), AuditEntry.objects.count()

    changed = run(action, opinion, alice)

    changed.refresh_from_db()
    assert changed.state == to_state
    assert changed.version == opinion.version + 1
    assert opinion.events.count() == before_events + 1
    event = opinion.events.last()
    assert (event.action, event.from_state, event.to_state) == (action, from_state, to_state)
    assert event.actor == alice
    assert event.note
    assert event.public
    assert abs((timezone.now() - event.at).total_seconds()) < 60
    assert AuditEntry.objects.count() == before_audit + 1
    entry = AuditEntry.objects.first()
    assert entry.actor == alice
    assert entry.action == CODES[action]
    assert entry.changes["from"] == from_state
    assert entry.changes["to"] == to_state


def test_it_audits_a_step_with_the_actors_address_without_any_request(room, alice):
    opinion = make_opinion(room, actor=alice)

    services.opinion_accept(opinion=opinion, actor=Actor(user=alice, address="192.0.2.44"), note="予以受理")

    entry = AuditEntry.objects.get(action="opinion.accepted")
    assert (entry.actor, entry.address, entry.object_id) == (alice, "192.0.2.44", str(opinion.pk))


def test_it_audits_the_flags_with_codes_of_their_own(room, alice):
    opinion = make_opinion(room, State.ACCEPTED, actor=alice)
    actor = Actor(user=alice)
    opinion = services.opinion_set_supervision(
        opinion=opinion, actor=actor, next_review=timezone.localdate() + dt.timedelta(days=30)
    )
    opinion = services.opinion_end_supervision(opinion=opinion, actor=actor)
    opinion = services.opinion_report_important(opinion=opinion, actor=actor, note="涉及群众安全")
    services.opinion_withdraw_report(opinion=opinion, actor=actor)

    codes = list(AuditEntry.objects.filter(object_id=str(opinion.pk)).order_by("pk").values_list("action", flat=True))
    assert codes[-4:] == [
        "opinion.supervised",
        "opinion.supervision_ended",
        "opinion.reported",
        "opinion.report_withdrawn",
    ]


def test_it_audits_a_registration_with_its_reference(room, alice):
    opinion = services.opinion_register(
        site=room, category=Category.OTHER, content="建议增设公交站", actor=Actor(user=alice, address="192.0.2.5")
    )

    entry = AuditEntry.objects.get(action="opinion.registered")
    assert (entry.actor, entry.address, entry.summary) == (alice, "192.0.2.5", opinion.reference)


@pytest.mark.parametrize(("action", "state"), FORBIDDEN, ids=[f"{a}-from-{s}" for a, s in FORBIDDEN])
def test_every_other_step_is_refused_in_chinese_and_changes_nothing(action, state, room, alice):
    opinion = make_opinion(room, state, actor=alice, satisfaction=Satisfaction.UNSATISFIED)
    events, version = opinion.events.count(), opinion.version

    with pytest.raises(services.TransitionNotAllowed) as refused:
        run(action, opinion, alice)

    assert "不能" in refused.value.messages[0]
    opinion.refresh_from_db()
    assert (opinion.state, opinion.version, opinion.events.count()) == (state, version, events)


@pytest.mark.parametrize("satisfaction", [Satisfaction.SATISFIED, Satisfaction.BASICALLY])
def test_only_an_unsatisfied_voters_opinion_can_be_reopened(satisfaction, room, alice):
    opinion = make_opinion(room, State.CLOSED, actor=alice, satisfaction=satisfaction)

    with pytest.raises(services.TransitionNotAllowed) as refused:
        run("reopen", opinion, alice)

    assert "不满意" in refused.value.messages[0]
    opinion.refresh_from_db()
    assert opinion.state == State.CLOSED


def test_reopening_refers_again_and_keeps_the_first_round_in_the_timeline(room, alice):
    opinion = make_opinion(room, State.CLOSED, actor=alice, satisfaction=Satisfaction.UNSATISFIED)
    other_body = make_body("区水利局")

    reopened = services.opinion_reopen(opinion=opinion, actor=Actor(user=alice), body=other_body, note="选民仍不满意")

    assert reopened.state == State.REFERRED
    assert reopened.handling_body == other_body
    assert reopened.deadline == timezone.localdate() + dt.timedelta(days=30)
    assert (reopened.reply, reopened.satisfaction, reopened.closed_at, reopened.replied_at) == ("", "", None, None)
    actions = list(reopened.events.values_list("action", flat=True))
    assert actions == ["register", "accept", "refer", "reply", "resolve", "close", "reopen"]
    close = reopened.events.get(action="close")
    assert close.satisfaction == Satisfaction.UNSATISFIED
    assert reopened.events.get(action="reply").note == "已安排保洁公司清理河道。"


def test_refer_sets_the_body_and_a_30_day_deadline_by_default(room, alice):
    opinion = make_opinion(room, State.ACCEPTED, actor=alice)
    body = make_body("余新镇人民政府")

    referred = services.opinion_refer(opinion=opinion, actor=Actor(user=alice), body=body)

    assert referred.handling_body == body
    assert referred.deadline == timezone.localdate() + dt.timedelta(days=30)
    assert referred.events.last().handling_body == body
    assert not referred.is_overdue


def test_refer_takes_a_given_deadline_and_refuses_one_in_the_past(room, alice):
    opinion = make_opinion(room, State.ACCEPTED, actor=alice)
    body = make_body()
    with pytest.raises(services.OpinionError):
        services.opinion_refer(
            opinion=opinion, actor=Actor(user=alice), body=body, deadline=timezone.localdate() - dt.timedelta(1)
        )
    soon = timezone.localdate() + dt.timedelta(days=7)

    referred = services.opinion_refer(opinion=opinion, actor=Actor(user=alice), body=body, deadline=soon)

    assert referred.deadline == soon


def test_refer_refuses_a_body_no_longer_in_use(room, alice):
    opinion = make_opinion(room, State.ACCEPTED, actor=alice)
    with pytest.raises(services.OpinionError):
        services.opinion_refer(opinion=opinion, actor=Actor(user=alice), body=make_body("已撤销的局", is_active=False))
    opinion.refresh_from_db()
    assert opinion.state == State.ACCEPTED


@pytest.mark.parametrize(
    ("state", "call"),
    [
        (State.REGISTERED, lambda o, u: services.opinion_not_accept(opinion=o, actor=Actor(user=u), reason="  ")),
        (State.REFERRED, lambda o, u: services.opinion_reply(opinion=o, actor=Actor(user=u), reply="")),
        (State.REPLIED, lambda o, u: services.opinion_explain(opinion=o, actor=Actor(user=u), explanation="")),
        (State.RESOLVED, lambda o, u: services.opinion_close(opinion=o, actor=Actor(user=u), satisfaction="meh")),
    ],
    ids=["not-accept-without-reason", "reply-without-text", "explain-without-text", "close-without-satisfaction"],
)
def test_steps_that_tell_the_voter_something_need_that_something(state, call, room, alice):
    opinion = make_opinion(room, state, actor=alice)
    with pytest.raises(services.OpinionError):
        call(opinion, alice)
    opinion.refresh_from_db()
    assert opinion.state == state


def test_overdue_means_referred_past_the_deadline_without_a_reply(room, alice):
    late = make_opinion(room, State.REFERRED, actor=alice)
    Opinion.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    on_time = make_opinion(room, State.REFERRED, actor=alice)
    replied_late = make_opinion(room, State.REPLIED, actor=alice)
    Opinion.objects.filter(pk=replied_late.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))

    assert list(Opinion.objects.overdue()) == [late]
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.is_overdue and not on_time.is_overdue


def test_a_stale_version_is_refused_with_the_current_state(room, alice, bob):
    opinion = make_opinion(room, State.REGISTERED, actor=alice)
    alices_view = Opinion.objects.get(pk=opinion.pk)
    services.opinion_accept(opinion=opinion, actor=Actor(user=bob))

    with pytest.raises(services.OpinionChanged) as changed:
        services.opinion_not_accept(opinion=alices_view, actor=Actor(user=alice), reason="重复")

    assert changed.value.current.state == State.ACCEPTED
    assert "已受理" in changed.value.messages[0]
    assert list(opinion.events.values_list("action", flat=True)) == ["register", "accept"]


def test_an_explicit_expected_version_is_what_counts(room, alice):
    opinion = make_opinion(room, State.REGISTERED, actor=alice)
    with pytest.raises(services.OpinionChanged):
        services.opinion_accept(opinion=opinion, actor=Actor(user=alice), expected_version=opinion.version - 1)
    assert (
        services.opinion_accept(opinion=opinion, actor=Actor(user=alice), expected_version=opinion.version).state
        == "accepted"
    )


# --- flags --------------------------------------------------------------------------------------------


def test_continued_supervision_needs_a_review_date_and_can_end(room, alice):
    opinion = make_opinion(room, State.EXPLAINED, actor=alice)
    with pytest.raises(services.OpinionError):
        services.opinion_set_supervision(
            opinion=opinion, actor=Actor(user=alice), next_review=timezone.localdate() - dt.timedelta(days=1)
        )
    review = timezone.localdate() + dt.timedelta(days=60)

    supervised = services.opinion_set_supervision(
        opinion=opinion, actor=Actor(user=alice), next_review=review, note="跟踪预算"
    )

    assert (supervised.supervised, supervised.next_review, supervised.state) == (True, review, State.EXPLAINED)
    event = supervised.events.last()
    assert (event.action, event.public) == (OpinionAction.SUPERVISE, False)
    ended = services.opinion_end_supervision(opinion=supervised, actor=Actor(user=alice))
    assert (ended.supervised, ended.next_review) == (False, None)
    with pytest.raises(services.TransitionNotAllowed):
        services.opinion_end_supervision(opinion=ended, actor=Actor(user=alice))


def test_flags_are_refused_on_an_opinion_that_was_not_accepted(room, alice):
    opinion = make_opinion(room, State.NOT_ACCEPTED, actor=alice)
    with pytest.raises(services.TransitionNotAllowed):
        services.opinion_report_important(opinion=opinion, actor=Actor(user=alice))
    with pytest.raises(services.TransitionNotAllowed):
        services.opinion_set_supervision(opinion=opinion, actor=Actor(user=alice), next_review=timezone.localdate())


def test_an_important_report_joins_the_queue_and_tells_the_district_administrators(
    room, alice, dana, charlie, django_capture_on_commit_callbacks
):
    dana.email = "dana@nanhu.gov.cn"
    dana.save()
    make_user("superuser", role=None, is_superuser=True, email="root@nanhu.gov.cn")
    charlie.email = "charlie@fengqiao.gov.cn"
    charlie.save()
    opinion = make_opinion(room, State.REFERRED, actor=alice, submitter_phone="13812345678", submitter_name="王小明")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reported = services.opinion_report_important(
            opinion=opinion, actor=Actor(user=alice), note="涉及群体性诉求 13912345678"
        )

    assert list(Opinion.objects.important()) == [reported]
    assert sorted(m.to[0] for m in mail.outbox) == ["dana@nanhu.gov.cn", "root@nanhu.gov.cn"]
    body = mail.outbox[0].body
    assert opinion.reference in mail.outbox[0].subject
    assert "138****5678" in body and "13812345678" not in body
    assert "139****5678" in body and "13912345678" not in body
    assert "王小明" not in body
    withdrawn = services.opinion_withdraw_report(opinion=reported, actor=Actor(user=dana))
    assert not Opinion.objects.important().exists()
    assert withdrawn.events.last().action == OpinionAction.WITHDRAW_REPORT


def test_allowed_actions_lists_the_steps_and_flags_possible_now(room, alice):
    registered = make_opinion(room, State.REGISTERED, actor=alice)
    assert services.allowed_actions(registered) == ["accept", "not_accept", "supervise", "report"]
    closed = make_opinion(room, State.CLOSED, actor=alice, satisfaction=Satisfaction.SATISFIED)
    assert services.allowed_actions(closed) == ["supervise", "report"]
    not_accepted = make_opinion(room, State.NOT_ACCEPTED, actor=alice)
    assert services.allowed_actions(not_accepted) == []


# --- the online station and its notices ---------------------------------------------------------------


def test_an_online_opinion_tells_the_sites_staff_with_the_phone_masked(
    room, alice, bob, charlie, django_capture_on_commit_callbacks
):
    alice.email = "alice@yuxin.gov.cn"
    alice.save()
    charlie.email = "charlie@fengqiao.gov.cn"  # another station's staff: not told
    charlie.save()
    # bob has no e-mail address: nothing to send him

    with django_capture_on_commit_callbacks(execute=True):
        opinion = services.opinion_submit_online(
            site=room,
            category=Category.TRANSPORT,
            content="村道路灯坏了，请联系我 13912345678。",
            submitter_name="王小明",
            submitter_phone="138 1234 5678",
            consent=True,
            actor=Actor(user=None),
        )

    assert [m.to for m in mail.outbox] == [["alice@yuxin.gov.cn"]]
    message = mail.outbox[0]
    assert opinion.reference in message.subject
    assert "138****5678" in message.body
    assert not re.search(r"\d{11}", message.body)
    assert "王小明" not in message.body
    assert f"/staff/opinions/{opinion.pk}/" in message.body


def test_an_online_opinion_with_personal_data_needs_consent(room):
    with pytest.raises(services.OpinionError):
        services.opinion_submit_online(
            site=room,
            category=Category.OTHER,
            content="建议增设公交站",
            submitter_phone="13812345678",
            actor=Actor(user=None),
        )
    assert not Opinion.objects.exists()
    anonymous = services.opinion_submit_online(
        site=room, category=Category.OTHER, content="建议增设公交站", actor=Actor(user=None)
    )
    assert anonymous.consent_at is None
    named = services.opinion_submit_online(
        site=room,
        category=Category.OTHER,
        content="建议增设公交站",
        submitter_name="王小明",
        consent=True,
        actor=Actor(user=None),
    )
    assert named.consent_at is not None
    assert named.source == "online"


def test_a_site_that_is_not_online_takes_no_online_opinions(other_room):
    with pytest.raises(services.OpinionError):
        services.opinion_submit_online(site=other_room, category=Category.OTHER, content="建议", actor=Actor(user=None))
    assert not Opinion.objects.exists()


def test_the_voter_is_told_of_each_state_change_when_they_left_an_e_mail(
    room, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        opinion = services.opinion_submit_online(
            site=room,
            category=Category.ENVIRONMENT,
            content="河道有垃圾",
            submitter_phone="13812345678",
            submitter_email="voter@example.com",
            consent=True,
            actor=Actor(user=None),
        )
        mail.outbox.clear()
        opinion = services.opinion_accept(opinion=opinion, actor=Actor(user=alice))
        opinion = services.opinion_refer(opinion=opinion, actor=Actor(user=alice), body=make_body())
        opinion = services.opinion_set_supervision(
            opinion=opinion, actor=Actor(user=alice), next_review=timezone.localdate() + dt.timedelta(days=9)
        )
        opinion = services.opinion_reply(
            opinion=opinion, actor=Actor(user=alice), reply="已清理，联系电话0573-82345678"
        )

    to_voter = [m for m in mail.outbox if m.to == ["voter@example.com"]]
    assert len(to_voter) == 3  # accept, refer, reply; the supervision flag is internal
    assert "已受理" in to_voter[0].subject and opinion.tracking_code in to_voter[0].subject
    assert "区住房和城乡建设局" in to_voter[1].body
    assert "057*****5678" in to_voter[2].body and "82345678" not in to_voter[2].body
    assert f"/track/{opinion.tracking_code}/" in to_voter[2].body
    assert all("13812345678" not in m.body for m in mail.outbox)


def test_no_notice_to_a_voter_without_an_e_mail(room, alice, django_capture_on_commit_callbacks):
    opinion = make_opinion(room, State.REGISTERED, actor=alice, submitter_phone="13812345678", consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_accept(opinion=opinion, actor=Actor(user=alice))
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_undo_the_step(room, alice, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.test_opinion_services.BrokenBackend"
    opinion = make_opinion(room, State.REGISTERED, actor=alice, submitter_email="voter@example.com", consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = services.opinion_accept(opinion=opinion, actor=Actor(user=alice))
    accepted.refresh_from_db()
    assert accepted.state == State.ACCEPTED


class BrokenBackend:
    """A mail server that refuses every connection (a real failure mode, not a stand-in for a working one)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self):
        raise ConnectionRefusedError("mail server down")

    def __exit__(self, *exc) -> None:
        pass


# --- concurrency --------------------------------------------------------------------------------------
# Real threads with their own database connections. On PostgreSQL the row lock makes the second step wait
# for the first; on SQLite the IMMEDIATE transactions serialise the writers.


def _in_thread(target, *args) -> threading.Thread:
    def body():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_while_one_step_is_being_saved_a_second_one_waits_and_is_then_refused(room, alice, bob):
    opinion = make_opinion(room, State.REGISTERED, actor=alice)
    alices_view, bobs_view = Opinion.objects.get(pk=opinion.pk), Opinion.objects.get(pk=opinion.pk)
    first_saved, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def alice_accepts():
        with transaction.atomic():  # holds the lock until Bob's attempt is under way
            outcome["alice"] = services.opinion_accept(opinion=alices_view, actor=Actor(user=alice))
            first_saved.set()
            second_started.wait(5)
            time.sleep(0.3)

    def bob_refuses():
        first_saved.wait(5)
        second_started.set()
        try:
            outcome["bob"] = services.opinion_not_accept(opinion=bobs_view, actor=Actor(user=bob), reason="重复")
        except services.OpinionChanged as changed:
            outcome["bob"] = changed

    threads = [_in_thread(alice_accepts), _in_thread(bob_refuses)]
    for thread in threads:
        thread.join(30)

    assert isinstance(outcome["alice"], Opinion)
    assert isinstance(outcome["bob"], services.OpinionChanged)
    assert outcome["bob"].current.state == State.ACCEPTED
    opinion.refresh_from_db()
    assert (opinion.state, opinion.version) == (State.ACCEPTED, alices_view.version + 1)
    assert list(opinion.events.values_list("action", flat=True)) == ["register", "accept"]


@pytest.mark.django_db(transaction=True)
def test_two_staff_racing_on_the_same_opinions_never_lose_or_double_a_step(room, alice, bob):
    opinions = [make_opinion(room, State.REFERRED, actor=alice) for _ in range(5)]
    outcomes: dict[tuple[str, int], object] = {}

    for opinion in opinions:
        views = {name: Opinion.objects.get(pk=opinion.pk) for name in ("alice", "bob")}
        start = threading.Barrier(2)

        def reply(name, user, view, pk=opinion.pk, start=start):
            start.wait(5)
            try:
                outcomes[(name, pk)] = services.opinion_reply(
                    opinion=view, actor=Actor(user=user), reply=f"{name}的答复"
                )
            except services.OpinionChanged as changed:
                outcomes[(name, pk)] = changed

        threads = [_in_thread(reply, "alice", alice, views["alice"]), _in_thread(reply, "bob", bob, views["bob"])]
        for thread in threads:
            thread.join(30)

    for opinion in opinions:
        results = [outcomes[("alice", opinion.pk)], outcomes[("bob", opinion.pk)]]
        winners = [r for r in results if isinstance(r, Opinion)]
        losers = [r for r in results if isinstance(r, services.OpinionChanged)]
        assert len(winners) == 1 and len(losers) == 1
        assert losers[0].current.state == State.REPLIED
        opinion.refresh_from_db()
        assert opinion.reply == winners[0].reply
        assert OpinionEvent.objects.filter(opinion=opinion, action="reply").count() == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_online_submissions_get_fifty_distinct_codes_and_references(room):
    def submit(i: int) -> tuple[str, str]:
        try:
            opinion = services.opinion_submit_online(
                site=room, category=Category.OTHER, content=f"并发提交的第{i}条意见", actor=Actor(user=None)
            )
            return opinion.tracking_code, opinion.reference
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(submit, range(50)))

    codes = {code for code, _ in results}
    references = {reference for _, reference in results}
    assert len(codes) == 50 and len(references) == 50
    assert Opinion.objects.count() == 50
    year = timezone.localdate().year
    assert references == {f"NH-{year}-{n:05d}" for n in range(1, 51)}
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code) for code in codes)
