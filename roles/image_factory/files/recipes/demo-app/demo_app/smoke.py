"""``demo-app smoke <base-url>``: a smoke test a deployment runs against a URL (direct or through nginx).

Checks, each bounded by --timeout: GET /api/health is 200 (and the version is --expect-version when
given); GET /api/ping is 200; then, for the dependencies /health lists: an item round trip
(POST /api/items, GET it twice - the second read from the cache when redis is there), a search
that finds it (elasticsearch), an object put and read back (s3), and with --events the worker's
row for the item's event (kafka). Prints one line per check; exit 0 when all pass, else 1.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
import uuid
from typing import Any


class SmokeFailure(AssertionError):
    """A smoke check failed (the message says which and why)."""


class Client:
    """Tiny JSON HTTP client bound to one base URL."""

    def __init__(self, base: str, timeout: float, headers: dict[str, str], insecure: bool) -> None:
        self.base, self.timeout, self.headers = base.rstrip("/"), timeout, headers
        self.context = ssl._create_unverified_context() if insecure else None  # noqa: S323 - opt-in for dev CAs

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str = "application/json") -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={**self.headers, **({"Content-Type": ctype} if body is not None else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, method: str, path: str, payload: Any = None, expect: int = 200) -> Any:
        status, _, data = self.call(method, path, json.dumps(payload).encode() if payload is not None else None)
        if status != expect:
            raise SmokeFailure(f"{method} {path}: HTTP {status} (expected {expect}): {data[:300].decode(errors='replace')}")
        return json.loads(data)


def _checks(client: Client, expect_version: str | None, events: bool, events_timeout: float) -> list[str]:
    """Run the checks; return one line per passed check; raise SmokeFailure at the first failure."""
    lines = []
    # /api/health: the app's own health also through nginx, which answers /health itself.
    health = client.json("GET", "/api/health")
    version = health.get("version")
    if expect_version and version != expect_version:
        raise SmokeFailure(f"version is {version}, expected {expect_version}")
    deps = health.get("dependencies", {})
    lines.append(f"health ok, version {version}, dependencies: {', '.join(deps) or 'none'}")
    client.json("GET", "/api/ping")
    lines.append("api ping ok")
    if "postgres" in deps:
        name = f"smoke-{uuid.uuid4().hex[:12]}"
        created = client.json("POST", "/api/items", {"name": name, "category": "smoke", "price": 1.5}, expect=201)
        item_id = created["id"]
        first = client.json("GET", f"/api/items/{item_id}")
        second = client.json("GET", f"/api/items/{item_id}")
        if second["item"]["name"] != name:
            raise SmokeFailure(f"item {item_id} reads back as {second['item']!r}")
        if "redis" in deps and second.get("cache") != "hit":
            raise SmokeFailure(f"second read of item {item_id} was not a cache hit ({first.get('cache')}, {second.get('cache')})")
        lines.append(f"item {item_id} written and read (cache {first.get('cache')}, then {second.get('cache')})")
        if "elasticsearch" in deps:
            found = client.json("GET", f"/api/search?q={name}&category=smoke")
            if not any(hit.get("id") == item_id for hit in found.get("items", [])):
                raise SmokeFailure(f"search for {name} did not find item {item_id}: {found}")
            lines.append(f"search found item {item_id}")
        if events and "kafka" in deps:
            deadline = time.monotonic() + events_timeout
            while client.call("GET", f"/api/events/{created['event_id']}")[0] != 200:
                if time.monotonic() > deadline:
                    raise SmokeFailure(f"the worker wrote no row for event {created['event_id']} within {events_timeout:g} s")
                time.sleep(0.5)
            lines.append(f"event {created['event_id']} written by the worker")
    if "s3" in deps:
        key, payload = f"smoke/{uuid.uuid4().hex}.txt", f"smoke {uuid.uuid4()}".encode()
        status, _, data = client.call("PUT", f"/api/objects/{key}", payload, "text/plain")
        if status != 201:
            raise SmokeFailure(f"PUT /api/objects/{key}: HTTP {status}: {data[:300].decode(errors='replace')}")
        status, _, data = client.call("GET", f"/api/objects/{key}")
        if status != 200 or data != payload:
            raise SmokeFailure(f"GET /api/objects/{key}: HTTP {status}, {len(data)} bytes (expected the {len(payload)} written)")
        lines.append(f"object {key} stored and read")
    return lines


def smoke(base_url: str, timeout: float = 10.0, expect_version: str | None = None, headers: dict[str, str] | None = None,
          insecure: bool = False, events: bool = False, events_timeout: float = 30.0) -> int:
    """Run the smoke test against BASE_URL; print the outcome; return 0 (passed) or 1."""
    client = Client(base_url, timeout, headers or {}, insecure)
    try:
        for line in _checks(client, expect_version, events, events_timeout):
            print(f"smoke: {line}", flush=True)
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", flush=True)
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"smoke: FAILED: {type(exc).__name__}: {exc}", flush=True)
        return 1
    print(f"smoke: passed against {base_url}", flush=True)
    return 0
