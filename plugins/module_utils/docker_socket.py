# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""A small Docker Engine API client over the local Unix socket, for the modules that only look and create.

Importing community.docker's client (and requests) costs about a third of a second per module run
here; the host modules that inspect containers and images and create networks and volumes need four
JSON endpoints of the local daemon. Containers themselves are run by community.docker.docker_container.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"


class DockerSocketError(Exception):
    """The daemon answered with an error status (``status`` holds it)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"Docker API {status}: {message}")
        self.status = status


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class DockerSocket:
    """JSON requests to the daemon: ``get("/containers/{}/json", name)``; None for 404 on get."""

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float = 60):
        self.path = path
        self.timeout = timeout

    def request(self, method: str, template: str, *names: str, params: dict | None = None, body: Any = None) -> Any:
        """A JSON request; the decoded answer (None when empty)."""
        data = self.raw(method, template, *names, params=params, body=body)
        return json.loads(data) if data else None

    def get(self, template: str, *names: str, params: dict | None = None) -> Any:
        try:
            return self.request("GET", template, *names, params=params)
        except DockerSocketError as exc:
            if exc.status == 404:
                return None
            raise

    def post(self, template: str, *names: str, body: Any = None) -> Any:
        return self.request("POST", template, *names, body=body)

    def raw(self, method: str, template: str, *names: str, params: dict | None = None, body: Any = None) -> bytes:
        """The body of a request as bytes; DockerSocketError (with the daemon's message) for an error status."""
        url = template.format(*(quote(name, safe="") for name in names))
        if params:
            url += "?" + urlencode(params)
        conn = _UnixConnection(self.path, self.timeout)
        try:
            payload = None if body is None else json.dumps(body)
            conn.request(method, url, body=payload, headers={"Content-Type": "application/json"} if payload else {})
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status >= 400:
            try:
                message = json.loads(data).get("message", data.decode(errors="replace"))
            except ValueError:
                message = data.decode(errors="replace")
            raise DockerSocketError(response.status, message)
        return data

    def logs(self, name: str, lines: int) -> str:
        """The last LINES lines a container printed (stdout and stderr, in order)."""
        info = self.get("/containers/{}/json", name) or {}
        data = self.raw("GET", "/containers/{}/logs", name,
                        params={"stdout": 1, "stderr": 1, "tail": str(lines), "timestamps": 0})
        if (info.get("Config") or {}).get("Tty"):
            return data.decode("utf-8", errors="replace").rstrip("\n")
        # Without a TTY the stream is multiplexed: 8-byte headers (stream, 0, 0, 0, big-endian size).
        out, offset = [], 0
        while offset + 8 <= len(data):
            size = int.from_bytes(data[offset + 4:offset + 8], "big")
            out.append(data[offset + 8:offset + 8 + size])
            offset += 8 + size
        return b"".join(out).decode("utf-8", errors="replace").rstrip("\n")

    def ping(self) -> bool:
        """Whether the daemon answers."""
        try:
            conn = _UnixConnection(self.path, min(self.timeout, 5))
            conn.request("GET", "/_ping")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False
