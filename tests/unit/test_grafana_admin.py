"""The admin password rotation's requests, against a fake of Grafana's HTTP API (no Grafana server can be had here).

The fake follows Grafana's documented behaviour for the three endpoints the step uses: ``GET /api/health``,
``GET /api/user`` with basic auth (200, or 401 for a wrong password) and ``PUT /api/user/password`` (checks
``oldPassword``, refuses a new password under 4 characters), served under a sub path like ``serve_from_sub_path``.
The live Grafana checks run in the Molecule scenario wherever a Grafana image exists.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ansible_collections.appstack.platform.plugins.module_utils.grafana_admin import GrafanaAPI, GrafanaError, rotate

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/grafana"


class FakeGrafana:
    """Grafana's admin user and the three endpoints, recording every request (method, path, login, password, body)."""

    def __init__(self, password: str, unhealthy: int = 0, user_status: int | None = None):
        self.password = password
        self.unhealthy = unhealthy
        self.user_status = user_status
        self.requests: list[tuple] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _credentials(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None, None
                login, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return login, password

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                login, password = self._credentials()
                fake.requests.append((method, self.path, login, password, body))
                if not self.path.startswith(PREFIX + "/"):
                    return self._answer(404, {"message": "Not found"})
                path = self.path[len(PREFIX):]
                if method == "GET" and path == "/api/health":
                    if fake.unhealthy > 0:
                        fake.unhealthy -= 1
                        return self._answer(503, {"database": "failing"})
                    return self._answer(200, {"database": "ok", "version": "12.2.0"})
                authenticated = login == "admin" and password == fake.password
                if method == "GET" and path == "/api/user":
                    if fake.user_status:
                        return self._answer(fake.user_status, {"message": "internal error"})
                    if not authenticated:
                        return self._answer(401, {"message": "Invalid username or password"})
                    return self._answer(200, {"id": 1, "login": "admin", "isGrafanaAdmin": True})
                if method == "PUT" and path == "/api/user/password":
                    if not authenticated:
                        return self._answer(401, {"message": "Invalid username or password"})
                    if body.get("oldPassword") != fake.password:
                        return self._answer(401, {"message": "Invalid old password"})
                    if len(body.get("newPassword", "")) < 4 or body.get("newPassword") != body.get("confirmNew"):
                        return self._answer(400, {"message": "New password is too short"})
                    fake.password = body["newPassword"]
                    return self._answer(200, {"message": "User password changed"})
                return self._answer(404, {"message": "Not found"})

            def do_GET(self):
                self._handle("GET")

            def do_PUT(self):
                self._handle("PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def calls(self) -> list[tuple]:
        """(method, path without the sub path, password) of every request but the health checks."""
        return [(m, p[len(PREFIX):], pw) for m, p, _login, pw, _body in self.requests if not p.endswith("/api/health")]


def test_a_password_grafana_accepts_is_left_alone():
    with FakeGrafana("current-one") as fake:
        outcome = rotate(GrafanaAPI(fake.url), "admin", "current-one", ["older-one"])
    assert outcome["changed"] is False
    assert fake.calls() == [("GET", "/api/user", "current-one")]


def test_a_changed_password_is_applied_with_the_old_one_and_proven_by_a_login():
    with FakeGrafana("old-secret") as fake:
        outcome = rotate(GrafanaAPI(fake.url), "admin", "new-secret", ["", "new-secret", "wrong-guess", "old-secret"])
        assert fake.password == "new-secret"
    assert outcome["changed"] is True
    assert fake.calls() == [("GET", "/api/user", "new-secret"), ("GET", "/api/user", "wrong-guess"),
                            ("GET", "/api/user", "old-secret"), ("PUT", "/api/user/password", "old-secret"),
                            ("GET", "/api/user", "new-secret")]
    put = [r for r in fake.requests if r[0] == "PUT"][0]
    assert put[2] == "admin" and put[4] == {"oldPassword": "old-secret", "newPassword": "new-secret", "confirmNew": "new-secret"}


def test_no_known_password_fails_with_the_ways_out_and_changes_nothing():
    with FakeGrafana("someone-elses") as fake:
        with pytest.raises(GrafanaError, match="prometheus_grafana_admin_password_previous.*reset-admin-password"):
            rotate(GrafanaAPI(fake.url), "admin", "new-secret", ["old-secret"])
        assert fake.password == "someone-elses"
    assert [c[0] for c in fake.calls()] == ["GET", "GET"]


def test_each_candidate_is_tried_once_to_spare_grafanas_brute_force_lock():
    with FakeGrafana("x-unknown") as fake:
        with pytest.raises(GrafanaError, match="none of the 2 earlier passwords"):
            rotate(GrafanaAPI(fake.url), "admin", "new-secret", ["a-old", "a-old", "b-old", "new-secret"])
    assert [c[2] for c in fake.calls()] == ["new-secret", "a-old", "b-old"]


def test_a_change_grafana_refuses_is_reported_with_its_message():
    with FakeGrafana("old-secret") as fake:
        with pytest.raises(GrafanaError, match="PUT /api/user/password answered HTTP 400: New password is too short"):
            rotate(GrafanaAPI(fake.url), "admin", "abc", ["old-secret"])
        assert fake.password == "old-secret"


def test_an_unexpected_answer_is_not_taken_for_a_wrong_password():
    with FakeGrafana("old-secret", user_status=500) as fake:
        with pytest.raises(GrafanaError, match="GET /api/user answered HTTP 500: internal error"):
            rotate(GrafanaAPI(fake.url), "admin", "new-secret", ["old-secret"])


def test_the_step_waits_for_the_database_and_gives_up_with_the_last_answer():
    with FakeGrafana("pw-one", unhealthy=2) as fake:
        GrafanaAPI(fake.url).wait_healthy(timeout=10, interval=0.05)
        assert fake.unhealthy == 0
    with FakeGrafana("pw-one", unhealthy=1000) as fake:
        with pytest.raises(GrafanaError, match=r"not healthy within 0s: HTTP 503 \{'database': 'failing'\}"):
            GrafanaAPI(fake.url).wait_healthy(timeout=0.2, interval=0.05)


def test_an_unreachable_grafana_is_named():
    with pytest.raises(GrafanaError, match="cannot reach Grafana at http://127.0.0.1:9/grafana"):
        GrafanaAPI("http://127.0.0.1:9/grafana", timeout=2).login_ok("admin", "x")


def _module(tmp_path: Path, args: dict) -> dict:
    """Run plugins/modules/grafana_admin.py as Ansible would (arguments in a JSON file), return its JSON result."""
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_tmpdir": str(tmp_path), **args}}))
    collections = [p for p in sys.path if (Path(p) / "ansible_collections" / "appstack" / "platform").exists()]
    result = subprocess.run([sys.executable, str(ROOT / "plugins/modules/grafana_admin.py"), str(arguments)],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(collections + [os.environ.get("PYTHONPATH", "")])})
    return json.loads(result.stdout)


@pytest.mark.skipif(os.geteuid() != 0, reason="the module writes its state file as root, as on a Docker host")
def test_the_module_remembers_the_applied_password_as_the_next_old_one(tmp_path):
    state = tmp_path / "state" / "admin-password"
    record = tmp_path / "state" / "apply.sha256"
    with FakeGrafana("first-secret") as fake:
        first = _module(tmp_path, {"url": fake.url, "password": "first-secret", "state_file": str(state),
                                   "record": {"path": str(record), "content": "h1\n"}})
        assert first["changed"] is False and state.read_text() == "first-secret"
        assert oct(state.stat().st_mode & 0o777) == "0o600" and record.read_text() == "h1\n"
        second = _module(tmp_path, {"url": fake.url, "password": "second-secret", "state_file": str(state)})
        assert second["changed"] is True and fake.password == "second-secret" and state.read_text() == "second-secret"
        assert "second-secret" not in json.dumps(second) and "first-secret" not in json.dumps(second)
        refused = _module(tmp_path, {"url": fake.url, "password": "third-secret", "state_file": "/nonexistent/x",
                                     "previous_passwords": ["wrong-one"]})
        assert refused["failed"] is True and "none of the 1 earlier" in refused["msg"]
