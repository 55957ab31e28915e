"""Voters' personal data in the admin: a visit's or an opinion's page (and a visit's historical version) shows
the name, phone and e-mail masked until a district administrator reveals them, and the reveal is recorded."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from stations.models import AuditAction, AuditEntry, Opinion, OpinionEvent, State, Visit
from tests.conftest import make_user, totp_device
from tests.factories_security import make_opinion, make_visit

PHONE = "13812345678"
MASKED = "138****5678"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def visit(room, alice) -> Visit:
    return make_visit(room, alice, visitor_name="王小明", visitor_phone=PHONE, summary="村口道路破损")


@pytest.fixture
def opinion(room) -> Opinion:
    return make_opinion(room, submitter_name="王小明", submitter_phone=PHONE, submitter_email="wang@example.cn")


def views(target: Visit | Opinion) -> int:
    return AuditEntry.objects.filter(
        action=AuditAction.PERSONAL_DATA_VIEWED, object_id=str(target.pk), object_type=target._meta.model_name
    ).count()


def visit_page(visit: Visit) -> str:
    return reverse("admin:stations_visit_change", args=[visit.pk])


def opinion_page(opinion: Opinion) -> str:
    return reverse("admin:stations_opinion_change", args=[opinion.pk])


def test_a_visits_page_shows_the_visitor_masked_and_records_nothing(dana_client, visit):
    response = dana_client.get(visit_page(visit))
    assert response.status_code == 200
    assert MASKED in response.text and "王**" in response.text
    assert not MOBILE.search(response.text)
    assert "王小明" not in response.text
    assert 'name="visitor_phone"' not in response.text
    assert "?reveal=1" in response.text
    assert views(visit) == 0


def test_revealing_a_visit_shows_the_editable_fields_and_is_recorded(dana_client, dana, visit):
    response = dana_client.get(visit_page(visit), {"reveal": "1"})
    assert response.status_code == 200
    assert re.search(rf'name="visitor_phone"[^>]*value="{PHONE}"', response.text)
    assert 'value="王小明"' in response.text
    assert views(visit) == 1
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert entry.actor == dana
    assert PHONE not in entry.summary + str(entry.changes)


class _FormFields(HTMLParser):
    """What a browser posts back from the change form: its inputs, selected options and text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button", "file"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.data.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data.setdefault(self._select, []).append(attributes.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None


def admin_form_data(response) -> dict:
    parser = _FormFields()
    parser.feed(response.text.split('id="visit_form"', 1)[1].split("</form>", 1)[0])
    return {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}


def test_saving_a_masked_visit_page_keeps_the_visitor(dana_client, visit):
    page = dana_client.get(visit_page(visit))
    data = admin_form_data(page)
    assert "visitor_phone" not in data and "visitor_name" not in data and "summary" not in data
    data["people"] = "4"

    response = dana_client.post(visit_page(visit), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    visit.refresh_from_db()
    assert visit.people == 4
    assert (visit.visitor_name, visit.visitor_phone, visit.summary) == ("王小明", PHONE, "村口道路破损")


def test_a_revealed_visit_page_saves_a_corrected_number(dana_client, visit):
    page = dana_client.get(visit_page(visit), {"reveal": "1"})
    data = admin_form_data(page)
    data["visitor_phone"] = "13900001111"

    response = dana_client.post(visit_page(visit) + "?reveal=1", data)

    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.visitor_name, visit.visitor_phone) == ("王小明", "13900001111")


def test_a_visits_historical_version_is_masked_until_revealed(dana_client, visit):
    version = visit.history.earliest("history_date")
    path = reverse("admin:stations_visit_simple_history", args=[visit.pk, version.history_id])
    hidden = dana_client.get(path)
    assert hidden.status_code == 200
    assert MASKED in hidden.text and not MOBILE.search(hidden.text)
    assert views(visit) == 0
    revealed = dana_client.get(path, {"reveal": "1"})
    assert PHONE in revealed.text
    assert views(visit) == 1


def test_the_visits_history_list_stays_masked(dana_client, visit):
    visit.visitor_phone = "13900001111"
    visit.save()
    text = dana_client.get(reverse("admin:stations_visit_history", args=[visit.pk])).text
    assert not MOBILE.search(text)


def test_an_opinions_page_shows_the_submitter_masked_until_revealed(dana_client, opinion):
    hidden = dana_client.get(opinion_page(opinion))
    assert hidden.status_code == 200
    assert MASKED in hidden.text and "w***@example.cn" in hidden.text
    assert not MOBILE.search(hidden.text) and "wang@example.cn" not in hidden.text
    assert views(opinion) == 0

    revealed = dana_client.get(opinion_page(opinion), {"reveal": "1"})
    assert re.search(rf'name="submitter_phone"[^>]*value="{PHONE}"', revealed.text)
    assert "wang@example.cn" in revealed.text
    assert views(opinion) == 1


def test_the_opinions_history_page_shows_no_number(dana_client, opinion):
    text = dana_client.get(reverse("admin:stations_opinion_history", args=[opinion.pk])).text
    assert not MOBILE.search(text)


def test_a_record_without_personal_data_offers_no_reveal_and_records_nothing(dana_client, room, alice):
    visit = make_visit(room, alice, visitor_name="", visitor_phone="")
    text = dana_client.get(visit_page(visit), {"reveal": "1"}).text
    assert "?reveal=1" not in text
    assert views(visit) == 0


def test_an_admin_user_the_policy_does_not_let_reveal_sees_only_masked_values(client, visit, opinion):
    # Model permissions given by hand, without the district administrator's role: may open, may not reveal.
    clerk = make_user("frank", role=None, is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_visit", "change_visit", "view_opinion", "change_opinion"])
    )
    totp_device(clerk)
    client.force_login(clerk)
    for path in (visit_page(visit), opinion_page(opinion)):
        response = client.get(path, {"reveal": "1"})
        assert response.status_code == 200
        assert MASKED in response.text
        assert not MOBILE.search(response.text)
        assert "?reveal=1" not in response.text
    assert views(visit) == views(opinion) == 0


def test_the_admin_lists_stay_masked(dana_client, visit, opinion):
    for name in ("admin:stations_visit_changelist", "admin:stations_opinion_changelist"):
        text = dana_client.get(reverse(name)).text
        assert MASKED in text
        assert not MOBILE.search(text)


def test_numbers_typed_into_free_text_are_masked_until_revealed(dana_client, room, alice):
    visit = make_visit(room, alice, summary="回访电话 13955556666，周一下午")
    opinion = make_opinion(room, visit=visit, content="联系人 13977778888", reply="已电话联系 13977778888")
    OpinionEvent.objects.create(opinion=opinion, to_state=State.ACCEPTED, note="王先生 13977778888 补充材料")

    for path in (visit_page(visit), opinion_page(opinion)):
        hidden = dana_client.get(path).text
        assert not MOBILE.search(hidden), path
        assert "139****6666" in hidden or "139****8888" in hidden
    revealed = dana_client.get(visit_page(visit), {"reveal": "1"}).text
    assert "回访电话 13955556666，周一下午</textarea>" in revealed
    revealed = dana_client.get(opinion_page(opinion), {"reveal": "1"}).text
    assert "联系人 13977778888</textarea>" in revealed


def test_an_anonymous_opinion_quoting_a_number_is_masked_and_one_without_is_editable(dana_client, room):
    quoting = make_opinion(room, submitter_name="", submitter_phone="", submitter_email="", content="请拨13977778888")
    plain = make_opinion(room, submitter_name="", submitter_phone="", submitter_email="", content="增设路灯")

    hidden = dana_client.get(opinion_page(quoting)).text
    assert "139****8888" in hidden and not MOBILE.search(hidden)
    assert "?reveal=1" in hidden
    editable = dana_client.get(opinion_page(plain)).text
    assert "增设路灯</textarea>" in editable
    assert "?reveal=1" not in editable
    assert views(plain) == 0
