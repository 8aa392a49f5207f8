"""Login lockout (django-axes): the login page, the admin's login and POST /api/v1/auth/token/
lock a username, and a client address, after WARMUP_LOGIN_FAILURE_LIMIT failures (5)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

LIMIT = 5


def login_page(client, password, *, username="olivia", **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def admin_login(client, password, *, username="olivia", **extra):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def api_login(client, password, *, username="olivia", **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, **extra
    )


@pytest.mark.parametrize("attempt", [login_page, admin_login, api_login])
def test_it_locks_a_username_after_five_failures_even_with_the_right_password(
    client, owner, password, attempt
):
    owner.is_staff = True  # the admin login only admits staff
    owner.save()
    for _ in range(LIMIT - 1):
        assert attempt(client, "wrong").status_code in (200, 400)

    locked = attempt(client, "wrong")
    right = attempt(client, password)

    for response in (locked, right):
        assert response.status_code == 429
        assert int(response["Retry-After"]) == pytest.approx(15 * 60, abs=5)
        body = response.content.decode()
        assert "Too many failed logins" in body
        assert "Try again in 15 minutes" in body
    assert "_auth_user_id" not in client.session


def test_the_api_answers_a_lockout_in_json(owner):
    for _ in range(LIMIT):
        response = api_login(None, "wrong")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["field"] is None
    assert response.json()["retry_after"] == pytest.approx(900, abs=5)
    assert response.json()["message"].startswith("Too many failed logins")


def test_it_lets_the_right_password_in_after_the_cool_off(client, owner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(LIMIT):
            login_page(client, "wrong")
        assert login_page(client, password).status_code == 429

    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert login_page(client, password).status_code == 302
    assert "_auth_user_id" in client.session


def test_attempts_during_a_lockout_do_not_extend_it(client, owner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(LIMIT):
            login_page(client, "wrong")
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        response = login_page(client, "wrong")
        assert response.status_code == 429
        assert int(response["Retry-After"]) == pytest.approx(5 * 60, abs=5)

    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert login_page(client, password).status_code == 302


def test_it_locks_an_address_that_tries_many_usernames(client, owner, password):
    for n in range(LIMIT):
        login_page(client, "wrong", username=f"guess{n}", REMOTE_ADDR="198.51.100.7")

    assert login_page(client, password, REMOTE_ADDR="198.51.100.7").status_code == 429
    # Another address may still log in as olivia: she was not the one being guessed.
    assert login_page(client, password, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_it_locks_a_username_tried_from_many_addresses(client, owner, password):
    for n in range(LIMIT):
        login_page(client, "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")

    assert login_page(client, password, REMOTE_ADDR="203.0.113.99").status_code == 429


def test_a_forged_forwarded_header_does_not_dodge_the_address_lock(client, owner, password):
    for n in range(LIMIT):
        login_page(
            client,
            "wrong",
            username=f"guess{n}",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )

    response = login_page(
        client, password, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.200"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_it_locks_the_forwarded_client(client, owner, password, settings):
    settings.WARMUP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(LIMIT):
        login_page(
            client,
            "wrong",
            username=f"guess{n}",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )

    locked = login_page(
        client, password, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    other_client = login_page(
        client, password, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert locked.status_code == 429
    assert other_client.status_code == 302


def test_a_successful_login_clears_earlier_failures(client, owner, password):
    for _ in range(LIMIT - 1):
        login_page(client, "wrong")
    assert login_page(client, password).status_code == 302
    client.post("/logout/")

    for _ in range(LIMIT - 1):
        login_page(client, "wrong")
    assert login_page(client, password).status_code == 302


def test_the_auth_throttle_ignores_a_forged_forwarded_header(db):
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "nobody"},  # invalid: never reaches the password check
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).status_code
        for n in range(31)
    ]

    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
