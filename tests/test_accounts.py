"""Accounts and sessions: login lockout, two-factor sign-in, passwords, idle and absolute session limits."""

import datetime as dt

import django.test
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.models import AuditAction, AuditEntry
from tests.conftest import PASSWORD, make_user, totp_code

LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


# --- lockout ---------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, alice, clock):
    for _ in range(4):
        assert sign_in(client, "alice", "wrong-password").status_code == 200
    fifth = sign_in(client, "alice", "wrong-password")
    assert fifth.status_code == 429

    clock.shift(dt.timedelta(minutes=29))
    refused = sign_in(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert not is_signed_in(client)
    assert "锁定" in refused.text
    assert "30 分钟" in refused.text


def test_the_lock_ends_thirty_minutes_after_it_began(client, alice, clock):
    for _ in range(5):
        sign_in(client, "alice", "wrong-password")
    clock.shift(dt.timedelta(minutes=20))
    # Refused attempts during the lock do not extend it.
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    clock.shift(dt.timedelta(minutes=10, seconds=1))
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, alice, clock):
    for _ in range(4):
        sign_in(client, "alice", "wrong-password")
    clock.shift(dt.timedelta(minutes=16))
    assert sign_in(client, "alice", "wrong-password").status_code == 200
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_the_lock_is_for_one_user_name_from_one_address(client, alice, bob):
    for _ in range(5):
        sign_in(client, "alice", "wrong-password")
    assert sign_in(client, "bob", PASSWORD).status_code == 302
    other_address = django.test.Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(other_address, "alice", PASSWORD).status_code == 302


def test_an_administrator_unlocks_with_axes_reset_username(client, alice):
    for _ in range(5):
        sign_in(client, "alice", "wrong-password")
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    call_command("axes_reset_username", "alice")
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_an_administrator_unlocks_by_deleting_the_attempt_in_the_admin(client, alice, admin_client):
    for _ in range(5):
        sign_in(client, "alice", "wrong-password")
    attempt = AccessAttempt.objects.get(username="alice")
    response = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, alice):
    for _ in range(4):
        sign_in(client, "alice", "wrong-password")
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert sign_in(client, "alice", "wrong-password").status_code == 200


def test_the_login_page_announces_the_lockout_rule(client, db):
    assert "15 分钟内" in client.get(LOGIN).text


# Password spraying: one address trying a password against many user names.
SPRAYER = "10.9.8.7"


def spray(client, count: int, *, start: int = 0) -> list[int]:
    return [
        sign_in(client, f"user{n}", "Spring2026!", REMOTE_ADDR=SPRAYER).status_code for n in range(start, start + count)
    ]


def test_twenty_failures_from_one_address_lock_it_for_every_user_name(client, alice, bob, clock):
    assert spray(client, 19) == [200] * 19
    assert spray(client, 1, start=19) == [429]

    refused = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER)
    assert refused.status_code == 429
    assert not is_signed_in(client)
    assert "该地址登录所有账号均已锁定 30 分钟" in refused.text
    clock.shift(dt.timedelta(minutes=29))
    assert sign_in(client, "bob", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 429

    # Another address is not affected.
    other = django.test.Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(other, "alice", PASSWORD).status_code == 302


def test_an_address_lock_ends_thirty_minutes_after_it_began(client, alice, clock):
    spray(client, 20)
    clock.shift(dt.timedelta(minutes=20))
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 429
    clock.shift(dt.timedelta(minutes=10, seconds=1))
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 302


def test_failures_from_one_address_spread_over_more_than_fifteen_minutes_do_not_lock_it(client, alice, clock):
    assert spray(client, 15) == [200] * 15
    clock.shift(dt.timedelta(minutes=16))
    assert spray(client, 15, start=15) == [200] * 15
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 302


def test_an_administrator_unlocks_an_address_with_axes_reset_ip(client, alice):
    spray(client, 20)
    call_command("axes_reset_ip", SPRAYER)
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 302


def test_the_address_limit_comes_from_the_settings(client, alice, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    assert spray(client, 3) == [200, 200, 429]
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 429


def test_a_user_name_longer_than_any_account_is_a_form_error_not_a_failure(client, db):
    response = sign_in(client, "a" * 300, "wrong-password")
    assert response.status_code == 200
    assert "150" in response.context["form"].errors["username"][0]
    assert not AccessAttempt.objects.exists()  # not counted: no account has such a name


def test_the_admin_sign_in_refuses_an_overlong_user_name_too(client, db):
    response = client.post(reverse("admin:login"), {"username": "a" * 300, "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not AccessAttempt.objects.exists()


# --- passwords forgotten: no self-service reset, a district administrator sets a new one --------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_it_has_no_self_service_password_reset(client, alice, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "alice@example.org"}).status_code == 404


def test_the_sign_in_page_says_whom_to_ask_for_a_forgotten_password(client, db):
    assert "忘记密码？请联系区人大工委管理员重新设置。" in client.get(LOGIN).text


def test_it_records_a_password_set_by_a_district_administrator_without_the_password(client, dana, alice):
    client.force_login(dana)
    new_password = "a-new-long-password-7"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new_password)
    entry = AuditEntry.objects.get(action=AuditAction.PASSWORD_SET, object_type="user", object_id=str(alice.pk))
    assert entry.actor == dana
    assert entry.summary == "password set by an administrator"
    assert entry.changes == {"user": "alice", "fields": ["password"]}
    assert new_password not in str(entry.changes) + entry.summary
    assert not AuditEntry.objects.filter(summary__contains=new_password).exists()


def test_station_staff_cannot_set_another_users_password(client, alice, bob):
    client.force_login(bob)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": "a-new-long-password-7", "password2": "a-new-long-password-7"},
    )
    assert response.status_code in (302, 403)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- two-factor sign-in -------------------------------------------------------------------------------------


@pytest.fixture
def admin_without_device(db):
    return make_user("zhou", role="district_admin", is_staff=True)


def test_a_district_admin_without_a_device_is_sent_to_enrolment(client, admin_without_device):
    response = sign_in(client, "zhou", PASSWORD, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('stations:otp_setup')}?next=%2Fstaff%2F"
    assert '<img src="data:image/svg+xml' in response.text
    device = TOTPDevice.objects.get(user=admin_without_device)
    assert not device.confirmed


def test_enrolment_confirms_the_device_with_a_real_code(client, admin_without_device, clock):
    client.force_login(admin_without_device)
    client.get(reverse("stations:otp_setup"))
    device = TOTPDevice.objects.get(user=admin_without_device)

    wrong = client.post(reverse("stations:otp_setup"), {"token": "000000", "next": "/staff/"})
    assert wrong.status_code == 200
    assert client.get("/staff/").status_code == 302
    clock.shift(dt.timedelta(seconds=2))  # django-otp makes the next try wait after a wrong code

    response = client.post(reverse("stations:otp_setup"), {"token": totp_code(device), "next": "/staff/"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.SECOND_FACTOR_ENROLLED, object_type="totpdevice").exists()


def test_a_district_admin_with_a_device_must_enter_a_code_before_staff_and_admin_pages(client, dana, clock):
    response = sign_in(client, "dana", PASSWORD)
    assert response.status_code == 302
    verify = reverse("stations:otp_verify")
    assert client.get("/staff/")["Location"] == f"{verify}?next=%2Fstaff%2F"
    assert client.get("/admin/")["Location"] == f"{verify}?next=%2Fadmin%2F"
    assert client.get(reverse("stations:audit_log"))["Location"].startswith(verify)

    device = TOTPDevice.objects.get(user=dana)
    assert client.post(verify, {"token": "123456", "next": "/staff/"}).status_code == 200
    clock.shift(dt.timedelta(seconds=2))  # django-otp makes the next try wait after a wrong code
    response = client.post(verify, {"token": totp_code(device), "next": "/staff/"})
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert client.get("/admin/").status_code == 200
    second_factor = AuditEntry.objects.filter(action__startswith="auth.second_factor.").order_by("pk")
    assert list(second_factor.values_list("action", "actor_name", "address")) == [
        ("auth.second_factor.failed", "dana", "127.0.0.1"),
        ("auth.second_factor.passed", "dana", "127.0.0.1"),
    ]


def test_a_code_cannot_be_used_twice(client, dana, clock):
    device = TOTPDevice.objects.get(user=dana)
    code = totp_code(device)
    sign_in(client, "dana", PASSWORD)
    client.post(reverse("stations:otp_verify"), {"token": code})
    other = django.test.Client()
    sign_in(other, "dana", PASSWORD)
    response = other.post(reverse("stations:otp_verify"), {"token": code, "next": "/staff/"})
    assert response.status_code == 200
    assert other.get("/staff/").status_code == 302


def test_a_stolen_password_cannot_enrol_a_new_device(client, dana):
    sign_in(client, "dana", PASSWORD)
    response = client.get(reverse("stations:otp_setup"))
    assert response["Location"].startswith(reverse("stations:otp_verify"))
    assert TOTPDevice.objects.filter(user=dana).count() == 1


def test_a_stolen_password_cannot_change_the_password_either(client, dana):
    sign_in(client, "dana", PASSWORD)
    response = client.get(reverse("password_change"))
    assert response["Location"].startswith(reverse("stations:otp_verify"))
    client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "x" * 14, "new_password2": "x" * 14}
    )
    dana.refresh_from_db()
    assert dana.check_password(PASSWORD)


def test_the_code_page_does_not_redirect_to_another_site(client, dana):
    device = TOTPDevice.objects.get(user=dana)
    sign_in(client, "dana", PASSWORD)
    response = client.post(
        reverse("stations:otp_verify"), {"token": totp_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("stations:staff_home")


def test_station_staff_are_not_asked_for_a_second_factor(client, alice):
    sign_in(client, "alice", PASSWORD)
    assert client.get("/staff/").status_code == 200


def test_a_superuser_without_membership_counts_as_district_admin_and_needs_the_second_factor(client, db):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    sign_in(client, "root", PASSWORD)
    assert client.get("/admin/")["Location"].startswith(reverse("stations:otp_setup"))


def test_the_enrolment_page_shows_the_key_for_typing_by_hand(client, admin_without_device):
    client.force_login(admin_without_device)
    response = client.get(reverse("stations:otp_setup"))
    device = TOTPDevice.objects.get(user=admin_without_device)
    from stations.services.two_factor import device_secret

    assert device_secret(device) in response.text
    # A reload keeps the same secret, so a code scanned before the reload still works.
    client.get(reverse("stations:otp_setup"))
    assert TOTPDevice.objects.filter(user=admin_without_device).count() == 1


# --- passwords ---------------------------------------------------------------------------------------------


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_argon2(alice):
    assert alice.password.startswith("argon2$")


@pytest.mark.parametrize(
    "password",
    ["Short-pw-1", "password1234", "123456789012", "zhangweiming1"],
    ids=["shorter-than-12", "common", "all-digits", "like-the-user-name"],
)
def test_weak_passwords_are_refused(password, db):
    user = get_user_model()(username="zhangweiming")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_uncommon_password_is_accepted(db):
    validate_password("湖边-lantern-4713", get_user_model()(username="zhangweiming"))


# --- sessions ----------------------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_minutes_idle(client, alice, clock):
    client.force_login(alice)
    assert client.get("/staff/").status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200  # activity keeps it alive
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unchanged_session_is_renewed_at_most_once_a_minute(client, alice, clock):
    from django.contrib.sessions.models import Session

    client.force_login(alice)
    assert client.get("/staff/").status_code == 200
    renewed = Session.objects.get().expire_date
    clock.shift(dt.timedelta(seconds=30))
    assert client.get("/staff/").status_code == 200
    assert Session.objects.get().expire_date == renewed  # no write: renewed less than a minute ago
    clock.shift(dt.timedelta(seconds=31))
    assert client.get("/staff/").status_code == 200
    assert Session.objects.get().expire_date == renewed + dt.timedelta(seconds=61)


def test_a_session_ends_twelve_hours_after_sign_in_however_active(client, alice, clock):
    sign_in(client, "alice", PASSWORD)
    for _ in range(12 * 3):  # a request every 20 minutes for 12 hours: never idle
        clock.shift(dt.timedelta(minutes=20))
        assert client.get("/staff/").status_code == 200
    clock.shift(dt.timedelta(minutes=20))
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not is_signed_in(client)
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, summary__contains="12 hours").exists()


@pytest.mark.parametrize(
    ("limit", "told"),
    [(40 * 60, "您已连续登录 40 分钟，会话已结束"), (2 * 60 * 60, "您已连续登录 2 小时，会话已结束")],
    ids=["40-minutes", "2-hours"],
)
def test_the_session_limit_the_user_is_told_is_the_one_in_the_settings(client, alice, clock, settings, limit, told):
    settings.SESSION_ABSOLUTE_AGE = limit
    sign_in(client, "alice", PASSWORD)
    for _ in range(limit // (20 * 60)):
        clock.shift(dt.timedelta(minutes=20))
        assert client.get("/staff/").status_code == 200
    clock.shift(dt.timedelta(minutes=1))

    response = client.get("/staff/", follow=True)

    assert told in response.text
    assert "12 小时" not in response.text
    assert not is_signed_in(client)


def test_logout_ends_the_server_side_session(client, alice):
    sign_in(client, "alice", PASSWORD)
    session_key = client.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    # Replaying the old cookie gives nothing.
    replay = django.test.Client()
    replay.cookies["sessionid"] = session_key
    assert replay.get("/staff/").status_code == 302


def test_passing_the_second_factor_gives_a_new_session_key(client, dana):
    sign_in(client, "dana", PASSWORD)
    before = client.session.session_key
    client.post(reverse("stations:otp_verify"), {"token": totp_code(TOTPDevice.objects.get(user=dana))})
    assert client.get("/staff/").status_code == 200
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_district_administrator_manages_every_model_in_the_admin_by_role(dana, alice):
    assert not dana.is_superuser
    for perm in ("stations.change_site", "stations.add_deputy", "stations.view_visit", "auth.change_user"):
        assert dana.has_perm(perm), perm
    assert not alice.has_perm("stations.change_site")  # station staff work in the staff pages
    dana.is_active = False
    assert not dana.has_perm("stations.change_site")


def test_changing_ones_own_password_is_recorded_without_the_password(client, alice):
    client.force_login(alice)
    new_password = "another-long-password-8"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.PASSWORD_CHANGED, object_id=str(alice.pk))
    assert entry.actor == alice and entry.changes == {"user": "alice", "fields": ["password"]}
    assert not AuditEntry.objects.filter(changes__icontains=new_password).exists()


def test_a_district_administrator_cannot_take_over_a_superuser_or_become_one(client, dana, admin_user):
    client.force_login(dana)
    new_password = "a-new-long-password-7"

    refused = client.post(
        reverse("admin:auth_user_password_change", args=[admin_user.pk]),
        {"password1": new_password, "password2": new_password},
    )
    own_page = client.get(reverse("admin:auth_user_change", args=[dana.pk])).text

    assert refused.status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.check_password(new_password)
    assert 'name="is_superuser"' not in own_page and 'name="user_permissions"' not in own_page
    assert 'name="first_name"' in own_page  # the rest of the account is still theirs to edit
