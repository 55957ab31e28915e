"""The audit log: what is recorded, that it cannot be changed, how long it is kept, and its viewer."""

import datetime as dt
import importlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from stations.audit import Actor, audit, client_address
from stations.models import AuditAction, AuditEntry, Membership
from stations.models.audit import MIN_RETENTION_DAYS, AuditLogIsAppendOnly, action_label
from stations.privacy import redact_phones
from tests.conftest import PASSWORD

# The trigger's refusal, or (the portal connecting as a runtime role, as in CI) the missing privilege.
REFUSED = "append-only|permission denied"

# purge_audit deletes as the role that owns the table (stations.db_roles), on a connection of its own: the
# entries must be committed for it to see them.
purge_test = pytest.mark.django_db(transaction=True, databases="__all__")


def entry(**fields) -> AuditEntry:
    return AuditEntry.objects.create(action=fields.pop("action", AuditAction.LOGIN), **fields)


# --- audit() -------------------------------------------------------------------------------------------------


def test_audit_records_actor_address_object_and_masks_phone_numbers(alice, station):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    request.user = alice
    recorded = audit(
        action=AuditAction.VISIT_UPDATED,
        actor=Actor.from_request(request),
        target=station,
        summary="visitor 13812345678 changed",
        changes={"phone": {"from": "13912345678", "to": "13812345678"}, "people": 2},
    )
    recorded.refresh_from_db()
    assert (recorded.actor, recorded.actor_name, recorded.address) == (alice, "alice", "10.0.0.7")
    assert recorded.action == "visit.updated"
    assert (recorded.object_type, recorded.object_id) == ("site", str(station.pk))
    assert recorded.summary == "visitor 138****5678 changed"
    assert recorded.changes == {"phone": {"from": "139****5678", "to": "138****5678"}, "people": 2}


def test_audit_masks_landline_and_other_phone_numbers_in_free_text_like_the_pages_do(alice, room):
    # A visit's summary goes into the entry's changes: a landline typed into it is as personal as a mobile.
    from stations.services.visits import visit_create

    visit = visit_create(
        site=room,
        actor=Actor(user=alice),
        occurred_at=timezone.now(),
        summary="请回电 0571-88881234 或 +86 139 1234 5678",
    )
    recorded = AuditEntry.objects.get(action=AuditAction.VISIT_CREATED, object_id=str(visit.pk))
    assert "88881234" not in str(recorded.changes)
    assert "1234 5678" not in str(recorded.changes)
    assert recorded.changes["summary"] == redact_phones(visit.summary)


def test_the_client_address_behind_a_trusted_proxy_is_the_one_the_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.9.8.7")
    assert client_address(request) == "10.9.8.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "127.0.0.1"


# --- append-only ----------------------------------------------------------------------------------------------


def test_an_entry_cannot_be_changed_or_deleted(db):
    recorded = entry(summary="original")
    recorded.summary = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        recorded.save()
    with pytest.raises(AuditLogIsAppendOnly):
        recorded.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=recorded.pk).update(summary="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly), transaction.atomic():
        AuditEntry.objects.bulk_update([recorded], ["summary"])
    assert AuditEntry.objects.get().summary == "original"


def test_a_user_with_an_audit_trail_cannot_be_deleted(alice):
    audit(action=AuditAction.LOGIN, actor=Actor(user=alice))
    with pytest.raises(ProtectedError):
        alice.delete()


def test_the_database_itself_refuses_to_change_or_delete_entries(db):
    """PostgreSQL (what CI and production run): raw SQL from the application's own connection is refused, by
    the runtime role's privileges with two roles (tests/test_database_roles.py), by the trigger with one.
    SQLite has no trigger (see the migration); there the model and queryset guard alone."""
    recorded = entry(summary="original")
    table = AuditEntry._meta.db_table
    statements = [
        f"UPDATE {table} SET summary = 'rewritten' WHERE id = %s",  # noqa: S608  (the model's own table name)
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ]
    for statement in statements:
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [recorded.pk])
    if connection.vendor == "postgresql":
        assert AuditEntry.objects.get().summary == "original"


# --- retention ------------------------------------------------------------------------------------------------


@pytest.fixture
def aged_entries(db):
    now = timezone.now()
    return {days: entry(at=now - dt.timedelta(days=days), summary=f"{days} days") for days in (1, 179, 181, 400)}


@purge_test
def test_purge_keeps_every_entry_younger_than_180_days_whatever_it_is_told(aged_entries):
    call_command("purge_audit", "--days", "30")
    left = set(AuditEntry.objects.exclude(summary__startswith="purge_audit").values_list("summary", flat=True))
    assert left == {"1 days", "179 days"}


@purge_test
def test_purge_with_more_days_keeps_more(aged_entries):
    call_command("purge_audit", "--days", "365")
    left = set(AuditEntry.objects.exclude(summary__startswith="purge_audit").values_list("summary", flat=True))
    assert left == {"1 days", "179 days", "181 days"}


@purge_test
def test_purge_is_itself_recorded(aged_entries):
    call_command("purge_audit")
    purge = AuditEntry.objects.get(summary__startswith="purge_audit")
    assert purge.action == "audit.purged"
    assert (purge.actor, purge.address) == (None, None)
    assert purge.changes == {"deleted": 2, "kept_days": 180}


def test_even_a_purge_cannot_delete_a_young_entry_in_the_database(aged_entries):
    """PostgreSQL: with the purge flag set, the trigger still refuses rows younger than 180 days."""
    young = aged_entries[179]
    if connection.vendor == "postgresql":
        delete = f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s"  # noqa: S608  (the model's table)
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL liaison.purge = 'on'")
            cursor.execute(delete, [young.pk])
    assert AuditEntry.objects.filter(pk=young.pk).exists()


# --- what is recorded ---------------------------------------------------------------------------------------


def test_sign_in_failure_lockout_and_sign_out_are_recorded(client, alice):
    client.post(reverse("login"), {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.0.0.8")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.8")
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name", "address"))
    assert actions == [
        ("auth.login_failed", "", "10.0.0.8"),
        ("auth.login", "alice", "10.0.0.8"),
        ("auth.logout", "alice", "10.0.0.8"),
    ]
    assert AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED).changes == {"username": "alice"}


def test_a_lockout_is_recorded_once_and_each_refusal_during_it(client, alice):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert AuditEntry.objects.filter(action="auth.locked_out", changes={"username": "alice"}).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, summary="wrong password").count() == 5
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, summary="refused: locked out").count() == 1


def test_a_change_to_a_user_in_the_admin_is_recorded_with_the_changed_fields(admin_client, alice):
    url = reverse("admin:auth_user_change", args=[alice.pk])
    data = {
        "username": "alice",
        "first_name": "爱丽丝",
        "last_name": "王",
        "email": "alice@example.cn",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": alice.membership.pk,
        "membership-0-user": alice.pk,
        "membership-0-role": "station_head",
        "membership-0-station": alice.membership.station_id,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    recorded = AuditEntry.objects.get(action="admin.user.changed", object_type="user")
    assert recorded.actor_name == "admin"
    assert recorded.object_id == str(alice.pk)
    assert recorded.changes["email"] == {"from": "", "to": "a***@example.cn"}
    assert recorded.changes["last_name"] == {"from": "", "to": "王*"}
    assert recorded.changes["related"] == [{"changed": {"name": "membership", "object": "alice · station head"}}]
    assert Membership.objects.get(user=alice).role == "station_head"


def test_adding_and_deleting_in_the_admin_is_recorded(admin_client, bob):
    membership = bob.membership
    response = admin_client.post(reverse("admin:stations_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEntry.objects.get(action="admin.membership.deleted")
    assert (deleted.object_type, deleted.object_id) == ("membership", str(membership.pk))

    admin_client.post(reverse("admin:stations_membership_add"), {"user": bob.pk, "role": "district_admin"})
    created = AuditEntry.objects.get(action="admin.membership.created")
    assert created.object_type == "membership"
    assert created.changes["role"] == {"from": None, "to": "district_admin"}


@pytest.mark.urls("tests.urls_audited_admin")
def test_a_change_to_a_deputy_in_the_admin_is_recorded_with_the_phone_masked(admin_client, deputies):
    deputy = deputies[0]
    data = {
        "district": deputy.district_id,
        "name": "顾海明",
        "slug": deputy.slug,
        "gender": "m",
        "biography": "新的简介，提到了某位选民的名字。",
        "sector": deputy.sector,
        "occupation": "村支书",
        "phone": "13912345678",
        "is_active": "on",
    }
    response = admin_client.post(reverse("admin:stations_deputy_change", args=[deputy.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    recorded = AuditEntry.objects.get(action="admin.deputy.changed", object_type="deputy")
    assert recorded.summary == "顾海明"
    assert recorded.changes["phone"] == {"from": "", "to": "139****5678"}
    assert recorded.changes["occupation"] == {"from": "", "to": "村支书"}
    assert recorded.changes["biography"] == {"from": "", "to": "…"}  # free text: only that it changed
    assert "13912345678" not in str(recorded.changes)


# --- the admin is read-only -------------------------------------------------------------------------------------


def test_the_audit_admin_offers_no_add_change_or_delete(admin_client, db):
    recorded = entry(summary="original")
    assert admin_client.get(reverse("admin:stations_auditentry_add")).status_code == 403
    change = reverse("admin:stations_auditentry_change", args=[recorded.pk])
    assert admin_client.get(change).status_code == 200  # a read-only view
    assert admin_client.post(change, {"summary": "rewritten", "action": "login"}).status_code == 403
    delete = reverse("admin:stations_auditentry_delete", args=[recorded.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=recorded.pk).summary == "original"


# --- the viewer ---------------------------------------------------------------------------------------------------


def test_the_viewer_is_for_district_administrators_only(client, alice, bob, erin):
    url = reverse("stations:audit_log")
    assert client.get(url)["Location"].startswith(reverse("login"))
    for user in (alice, bob, erin):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_the_viewer_filters_by_actor_action_object_type_and_dates(dana_client):
    now = timezone.now()
    entry(actor_name="alice", action=AuditAction.LOGIN, at=now - dt.timedelta(days=10), summary="old-login")
    entry(
        actor_name="alice", action=AuditAction.VISIT_UPDATED, object_type="visit", object_id="7", summary="visit-change"
    )
    entry(actor_name="bob", action=AuditAction.LOGIN, summary="bob-login")
    url = reverse("stations:audit_log")

    def shown(**params) -> set[str]:
        text = dana_client.get(url, params).text
        return {name for name in ("old-login", "visit-change", "bob-login") if name in text}

    assert shown() == {"old-login", "visit-change", "bob-login"}
    assert shown(actor="alice") == {"old-login", "visit-change"}
    assert shown(action="auth.login") == {"old-login", "bob-login"}
    assert shown(action="visit.") == {"visit-change"}  # a whole group
    assert shown(object_type="visit") == {"visit-change"}
    today = timezone.localdate()
    assert shown(date_from=today.isoformat()) == {"visit-change", "bob-login"}
    assert shown(date_to=(today - dt.timedelta(days=5)).isoformat()) == {"old-login"}


def test_the_viewer_pages_with_a_bounded_number_of_queries(dana_client, django_assert_max_num_queries):
    AuditEntry.objects.bulk_create(
        [AuditEntry(action=AuditAction.LOGIN, actor_name=f"user{i}", summary=f"entry-{i:03d}") for i in range(120)]
    )
    # Session, user, OTP device, role, count, page, session save (+2 savepoints inside the test transaction).
    with django_assert_max_num_queries(9):
        first = dana_client.get(reverse("stations:audit_log"))
    assert first.text.count("entry-") == 50
    third = dana_client.get(reverse("stations:audit_log"), {"page": 3})
    assert third.text.count("entry-") == 20


def test_a_user_deleted_from_the_database_is_impossible_but_deactivation_keeps_the_trail(alice):
    audit(action=AuditAction.LOGIN, actor=Actor(user=alice))
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert AuditEntry.objects.get().actor_name == "alice"


# --- who acts ----------------------------------------------------------------------------------------------------


def test_it_builds_the_actor_from_the_request_user_and_client_address(alice, settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9")
    request.user = alice
    assert Actor.from_request(request) == Actor(user=alice, address="10.0.0.9")

    settings.TRUSTED_PROXY_COUNT = 1
    behind_proxy = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    behind_proxy.user = AnonymousUser()
    assert Actor.from_request(behind_proxy) == Actor(user=None, address="198.51.100.7")


def test_it_records_the_system_with_no_user_and_no_address(db):
    recorded = audit(action=AuditAction.ROSTER_GENERATED, actor=Actor.system())
    assert (recorded.actor, recorded.actor_name, recorded.address) == (None, "", None)


# --- codes and their labels ---------------------------------------------------------------------------------------


def test_it_reads_every_code_as_words_new_admin_and_legacy_alike(db):
    with translation.override("en"):
        assert action_label("opinion.referred") == "opinion referred"
        assert action_label("admin.deputy.changed") == "deputy changed in the admin"
        assert action_label("update") == "changed"  # written before the dotted codes
        assert action_label("no.such.code") == "no.such.code"
    with translation.override("zh-hans"):
        assert action_label("opinion.referred") == "交办意见建议"
        assert action_label("login") == "登录"


def test_it_shows_old_entries_with_readable_labels_in_the_viewer_and_the_admin(dana_client, admin_client):
    # On PostgreSQL the old rows cannot be rewritten: their codes must keep reading as words.
    entry(actor_name="alice", action="view_personal", summary="legacy-row")
    entry(actor_name="alice", action="admin.deputy.changed", summary="admin-row")
    with translation.override("zh-hans"):
        legacy, admin = action_label("view_personal"), action_label("admin.deputy.changed")
    viewer = dana_client.get(reverse("stations:audit_log")).text
    assert f"<td>{legacy}</td>" in viewer and f"<td>{admin}</td>" in viewer
    changelist = admin_client.get(reverse("admin:stations_auditentry_changelist")).text
    assert legacy in changelist and admin in changelist
    assert ">view_personal<" not in viewer + changelist


def test_it_offers_the_codes_grouped_by_their_first_part_and_filters_old_codes_too(dana_client):
    entry(actor_name="alice", action="update", object_type="visit", summary="legacy-change")
    entry(actor_name="alice", action=AuditAction.OPINION_REFERRED, summary="new-referral")
    url = reverse("stations:audit_log")
    page = dana_client.get(url).text
    assert '<optgroup label="意见建议">' in page
    assert '<option value="opinion.referred">' in page and '<option value="opinion.">' in page
    assert '<option value="update">' in page  # old entries stay findable

    def shown(action: str) -> set[str]:
        text = dana_client.get(url, {"action": action}).text
        return {name for name in ("legacy-change", "new-referral") if name in text}

    assert shown("update") == {"legacy-change"}
    assert shown("opinion.") == {"new-referral"}
    assert shown("opinion.referred") == {"new-referral"}
    assert shown("visit.") == set()


def test_it_filters_the_admin_changelist_by_a_group_of_codes(admin_client):
    entry(action=AuditAction.DUTY_SWAPPED, summary="swap-row")
    entry(action=AuditAction.LOGIN, summary="login-row")
    changelist = reverse("admin:stations_auditentry_changelist")
    text = admin_client.get(changelist, {"action": "duty."}).text
    assert "swap-row" in text and "login-row" not in text


def test_the_database_trigger_keeps_entries_as_long_as_the_application_does():
    """Committed migrations are never edited: if MIN_RETENTION_DAYS changes, a new migration must change the
    PostgreSQL trigger with it."""
    # The trigger function as its latest migration defines it (0003 wrote it, 0011 made the purge the owner's).
    migration = importlib.import_module("stations.migrations.0011_audit_runtime_role")
    assert f"interval '{MIN_RETENTION_DAYS} days'" in migration.OWNER_ONLY_PURGE_SQL


def test_the_audit_log_page_states_the_retention_period(dana_client):
    response = dana_client.get(reverse("stations:audit_log"))

    assert f"保存不少于 {MIN_RETENTION_DAYS} 天" in response.text
