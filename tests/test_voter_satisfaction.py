"""The voter says on the tracking page whether they are satisfied; that answer, not staff's, is the figure."""

import pytest
from django.urls import reverse

from stations.audit import Actor, AuditAction
from stations.clock import local_today
from stations.models import AuditEntry, State
from stations.selectors import stats
from stations.selectors.stats import Period, Scope
from stations.services import opinions as services
from tests.factories_opinions import make_body, make_opinion


def track(code: str) -> str:
    return reverse("stations:track_detail", args=[code])


def answer(code: str) -> str:
    return reverse("stations:track_answer", args=[code])


def test_a_resolved_opinion_asks_and_records_the_voters_answer_once(client, room):
    opinion = make_opinion(room, State.RESOLVED)
    page = client.get(track(opinion.tracking_code)).content.decode()
    assert "您是否满意？" in page and 'name="satisfaction"' in page

    response = client.post(answer(opinion.tracking_code), {"satisfaction": "basically"})

    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.voter_satisfaction == "basically" and opinion.voter_answered_at is not None
    page = client.get(track(opinion.tracking_code)).content.decode()
    assert 'name="satisfaction"' not in page and "您的评价：基本满意" in page
    assert AuditEntry.objects.filter(action=AuditAction.OPINION_VOTER_ANSWERED).count() == 1
    response = client.post(answer(opinion.tracking_code), {"satisfaction": "unsatisfied"})
    assert response.status_code == 400 and "您已评价" in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.voter_satisfaction == "basically"


def test_an_opinion_still_being_handled_cannot_be_rated_and_an_empty_answer_is_an_error(client, room):
    handling = make_opinion(room, State.REFERRED)
    assert 'name="satisfaction"' not in client.get(track(handling.tracking_code)).content.decode()
    assert client.post(answer(handling.tracking_code), {"satisfaction": "satisfied"}).status_code == 400
    resolved = make_opinion(room, State.RESOLVED)
    response = client.post(answer(resolved.tracking_code), {})
    assert response.status_code == 400 and "错误" in response.content.decode()
    handling.refresh_from_db()
    resolved.refresh_from_db()
    assert handling.voter_satisfaction == resolved.voter_satisfaction == ""


def test_an_unknown_code_is_404(client, db):
    assert client.post(answer("ZZZZ-ZZZZ-ZZZZ"), {"satisfaction": "satisfied"}).status_code == 404


def test_reopening_clears_the_voters_answer_so_they_are_asked_again(room):
    opinion = make_opinion(room, State.RESOLVED)
    services.opinion_voter_answer(opinion=opinion, satisfaction="unsatisfied", actor=Actor.system())
    opinion = services.opinion_close(opinion=opinion, satisfaction="unsatisfied", actor=Actor.system())
    opinion = services.opinion_reopen(opinion=opinion, body=make_body(), actor=Actor.system())
    assert opinion.voter_satisfaction == "" and opinion.voter_answered_at is None


def test_the_voters_answer_is_the_satisfaction_figure_when_given(room, station):
    this_year = Period.year(local_today().year)
    # Staff closed it as satisfied, the voter says unsatisfied: the voter's answer counts.
    overruled = make_opinion(room, State.RESOLVED)
    services.opinion_voter_answer(opinion=overruled, satisfaction="unsatisfied", actor=Actor.system())
    services.opinion_close(opinion=overruled, satisfaction="satisfied", actor=Actor.system())
    # Resolved, not closed, and the voter is satisfied: rated by the voter.
    rated_by_voter = make_opinion(room, State.RESOLVED)
    services.opinion_voter_answer(opinion=rated_by_voter, satisfaction="satisfied", actor=Actor.system())
    # Closed by staff as basically satisfied, no answer from the voter: staff's record counts.
    make_opinion(room, State.CLOSED, satisfaction="basically")
    # Resolved, nobody rated it yet: not in the figure.
    make_opinion(room, State.RESOLVED)

    figures = stats.headline(scope=Scope.for_station(station), period=this_year)

    assert (figures.closed, figures.rated, figures.satisfied) == (2, 3, 2)
    assert figures.satisfaction_rate == pytest.approx(2 / 3)
    definition = {key: text for key, _label, text in stats.DEFINITIONS}["satisfaction_rate"]
    assert "以群众评价为准" in str(definition)
