# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Grafana's admin password through its HTTP API: check a login, change the password with the old one.

Grafana applies ``GF_SECURITY_ADMIN_PASSWORD(__FILE)`` only when it creates its database, on the first
start; a later change of that setting does nothing. ``rotate`` therefore logs in with the wanted password
and, when Grafana refuses it, with the passwords it may still have (the last one applied, any the operator
names), then changes it through ``PUT /api/user/password`` - the API a user changes their own password with,
which needs the old one - and proves the change by logging in with the new one.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any


class GrafanaError(Exception):
    """Grafana answered something other than what the step needs."""


class GrafanaAPI:
    """Requests to one Grafana (BASE_URL includes the sub path it is served from, such as http://10.0.0.5:3000/grafana)."""

    def __init__(self, base_url: str, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, user: str | None = None, password: str | None = None,
                body: Any = None) -> tuple[int, Any]:
        """Status and decoded JSON answer (None when not JSON); network errors raise GrafanaError."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise GrafanaError(f"cannot reach Grafana at {self.base_url}: {getattr(exc, 'reason', exc)}") from exc
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def wait_healthy(self, timeout: float, interval: float = 1.0) -> None:
        """Wait (at most TIMEOUT seconds) until /api/health says the database is ok."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            try:
                status, answer = self.request("GET", "/api/health")
                if status == 200 and isinstance(answer, dict) and answer.get("database") == "ok":
                    return
                last = f"HTTP {status} {answer!r}"
            except GrafanaError as exc:
                last = str(exc)
            if time.monotonic() >= deadline:
                raise GrafanaError(f"Grafana at {self.base_url} was not healthy within {timeout:.0f}s: {last}")
            time.sleep(interval)

    def login_ok(self, user: str, password: str) -> bool:
        """Whether Grafana accepts USER with PASSWORD (GET /api/user with basic auth)."""
        status, answer = self.request("GET", "/api/user", user, password)
        if status == 200:
            return True
        if status == 401:
            return False
        raise GrafanaError(f"GET /api/user answered HTTP {status}: {_message(answer)}")

    def change_password(self, user: str, old: str, new: str) -> None:
        """PUT /api/user/password as USER with OLD: Grafana checks the old password and sets NEW."""
        status, answer = self.request("PUT", "/api/user/password", user, old,
                                      {"oldPassword": old, "newPassword": new, "confirmNew": new})
        if status != 200:
            raise GrafanaError(f"PUT /api/user/password answered HTTP {status}: {_message(answer)}")


def _message(answer: Any) -> str:
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    return repr(answer)


def rotate(api: GrafanaAPI, user: str, password: str, candidates: list[str]) -> dict:
    """Make PASSWORD the admin's password; CANDIDATES are the passwords Grafana may still hold, tried in order.

    Returns ``{changed, msg}``; raises GrafanaError when Grafana accepts none of them or the change did not take.
    Every refused login counts towards Grafana's brute-force lock (5 in 5 minutes), so each candidate is tried
    once and the wanted password first.
    """
    if api.login_ok(user, password):
        return {"changed": False, "msg": f"Grafana accepts the configured password of {user}"}
    tried = []
    for old in candidates:
        if not old or old == password or old in tried:
            continue
        tried.append(old)
        if not api.login_ok(user, old):
            continue
        api.change_password(user, old, password)
        if not api.login_ok(user, password):
            raise GrafanaError(f"Grafana took the new password of {user} but refuses it at login")
        return {"changed": True, "msg": f"the password of {user} was changed through the API with the old one"}
    raise GrafanaError(
        f"Grafana refuses the configured password of {user}, and {'none of the ' + str(len(tried)) + ' earlier passwords' if tried else 'no earlier password is known'} "
        "works either; name the one it has in prometheus_grafana_admin_password_previous, or reset it with "
        "`docker exec <grafana container> grafana cli admin reset-admin-password <new>`")
