"""Contract tests for appstack/demo-app (the project's own demo application, no official image).

The app runs against the factory's real service images on one private network, shared by the
module (started once, removed in teardown): PostgreSQL, Redis, MinIO, Elasticsearch (security
on) and Kafka (SASL/SCRAM-SHA-512 on the client listener, as the kafka role runs it in prod).
The tests talk to the app over the containers' bridge addresses; every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import (Container, DockerResources, docker, image_config, image_exists, metric, parse_metrics,
                      require_image, unique_name, wait_until)

IMAGE = "appstack/demo-app:1"
POSTGRES = "appstack/postgres:17"
REDIS = "appstack/redis:8.0"
MINIO = "appstack/minio:2025-10-15"
ELASTICSEARCH = "appstack/elasticsearch:8.19"
KAFKA = "appstack/kafka:4.3"
RECIPE = Path(__file__).resolve().parents[2] / "roles/image_factory/files/recipes/demo-app"

PG_PASSWORD = "pg-Contract-pw1"
REDIS_PASSWORD = "redis-Contract-pw1"
MINIO_USER, MINIO_PASSWORD = "minio-contract", "minio-Contract-pw1"
ES_PASSWORD = "es-Contract-pw1"
KAFKA_USER, KAFKA_PASSWORD = "demo-app", "kafka-Contract-pw1"
BUCKET = "demo-objects"
# Hardened like the shared container path runs every service.
HARDENED = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]
# JVM tools run inside the broker container: small heap, fast start.
KAFKA_TOOL_ENV = ("KAFKA_HEAP_OPTS=-Xmx128m KAFKA_JVM_PERFORMANCE_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                  " -XX:-UsePerfData'")
# The broker: SASL/SCRAM-SHA-512 for clients on 9092 (advertised as kafka:9092); the controller
# and an unauthenticated listener for the test's admin tools on the container's loopback only.
KAFKA_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://localhost:9093,INTERNAL://localhost:9091
advertised.listeners=SASL_PLAINTEXT://kafka:9092,INTERNAL://localhost:9091
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=/var/lib/kafka/data
num.partitions=2
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


# -- HTTP and WebSocket clients (standard library only) -----------------------------------


def http(method: str, url: str, body: Any = None, raw: bytes | None = None, content_type: str = "application/json",
         timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; return (status, headers, body) whatever the status."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def get_json(url: str, timeout: float = 30) -> tuple[int, Any]:
    status, _, data = http("GET", url, timeout=timeout)
    return status, json.loads(data) if data[:1] in (b"{", b"[") else data.decode(errors="replace")


class WebSocket:
    """A minimal RFC 6455 client: handshake, masked frames out, frames in."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, host: str, port: int, path: str = "/ws", timeout: float = 20) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        assert self.status == 101 and self.headers.get("sec-websocket-accept") == accept, lines

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, payload: bytes | str, opcode: int | None = None) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        opcode = opcode if opcode is not None else (1 if isinstance(payload, str) else 2)
        mask = os.urandom(4)
        size = len(data)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | size]) if size < 126 else struct.pack("!BH", 0x80 | 126, size))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> tuple[int, bytes]:
        """The next frame as (opcode, payload) (1 text, 2 binary, 8 close)."""
        first, second = self._take(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._take(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._take(8))[0]
        return first & 0x0F, self._take(size)

    def close(self) -> None:
        self.sock.close()


# -- the shared stack -----------------------------------------------------------------


@dataclass
class Stack:
    """The module's service containers, the app's environment for them, and helpers."""

    res: DockerResources
    network: str
    services: dict[str, Container]
    env: dict[str, str]
    first_migrate: str = ""
    apps: dict[str, Container] = field(default_factory=dict)

    def app(self, *command: str, env: dict[str, str] | None = None, volumes: tuple[str, ...] = (),
            image: str = IMAGE, base_env: bool = True) -> Container:
        """Start the demo app (hardened, uid 10001 from the image) on the stack's network."""
        full = {**(self.env if base_env else {}), **(env or {})}
        return self.res.run(image, *command, env=full, volumes=volumes, network=self.network, args=HARDENED)

    def once(self, *command: str, env: dict[str, str] | None = None, image: str = IMAGE,
             base_env: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """``docker run --rm`` a demo-app command on the network; never raises on its exit code."""
        full = {**(self.env if base_env else {}), **(env or {})}
        args = ["--network", self.network, *HARDENED]
        for key, value in full.items():
            args += ["-e", f"{key}={value}"]
        return self.res.run_once(image, *command, args=args, check=False, timeout=timeout)

    def psql(self, sql: str) -> str:
        return self.services["postgres"].exec("psql", "-U", "app", "-d", "app", "-tA", "-c", sql).stdout.strip()


def _base_url(container: Container) -> str:
    return f"http://{container.ip()}:8000"


def wait_health(container: Container, expect: int = 200, timeout: float = 120) -> dict:
    """Wait until GET /health answers EXPECT; return its JSON."""
    url = _base_url(container) + "/health"

    def attempt() -> dict | None:
        if not container.running():
            raise AssertionError(f"{container.name} stopped\n{container.diagnostics()}")
        status, body = get_json(url, timeout=10)
        return body if status == expect else None

    return wait_until(attempt, timeout=timeout, interval=1, what=f"/health {expect} from {container.name}",
                      diagnostics=container.diagnostics)


def _start_kafka(res: DockerResources, net: str) -> Container:
    """The broker; like the kafka role, the storage is formatted with the app user's SCRAM credential."""
    config = "/mnt/shared/config/server.properties"
    start = (f"kafka-storage.sh format --ignore-formatted --cluster-id q1Sh-9_ISia_zwGINzRvyQ --config {config}"
             f" --add-scram 'SCRAM-SHA-512=[name={KAFKA_USER},iterations=4096,password={KAFKA_PASSWORD}]'"
             " && exec /etc/kafka/docker/run")
    return res.run(KAFKA, "sh", "-c", start, network=net, aliases=["kafka"], files={config: KAFKA_PROPERTIES},
                   env={"KAFKA_HEAP_OPTS": "-Xmx384m -Xms384m"}, args=["--no-healthcheck"])


def _prepare_kafka(kafka: Container) -> None:
    """Once the broker runs: the events topic (admin tool on the internal listener)."""
    kafka.wait_log(r"Kafka Server started", timeout=240, interval=2)
    kafka.sh(f"{KAFKA_TOOL_ENV} kafka-topics.sh --bootstrap-server localhost:9091 --create --topic events"
             " --partitions 2 --replication-factor 1", timeout=240)


@pytest.fixture(scope="module")
def stack(docker_resources_module: DockerResources) -> Stack:
    for image in (IMAGE, POSTGRES, REDIS, MINIO, ELASTICSEARCH, KAFKA):
        require_image(image)
    res = docker_resources_module
    net = res.network("net")
    # The JVMs first: they take longest to start, and everything boots at the same time.
    es = res.run(ELASTICSEARCH, network=net, aliases=["elasticsearch"], args=["--no-healthcheck"], env={
        "discovery.type": "single-node", "ES_JAVA_OPTS": "-Xms512m -Xmx512m", "xpack.security.enabled": "true",
        "xpack.security.http.ssl.enabled": "false", "xpack.security.transport.ssl.enabled": "false",
        "ELASTIC_PASSWORD": ES_PASSWORD})
    kafka = _start_kafka(res, net)
    pg = res.run(POSTGRES, network=net, aliases=["postgres"],
                 env={"POSTGRES_USER": "app", "POSTGRES_PASSWORD": PG_PASSWORD, "POSTGRES_DB": "app"})
    redis = res.run(REDIS, "--requirepass", REDIS_PASSWORD, network=net, aliases=["redis"])
    minio = res.run(MINIO, "server", "/data", network=net, aliases=["minio"], args=["--no-healthcheck"],
                    env={"MINIO_ROOT_USER": MINIO_USER, "MINIO_ROOT_PASSWORD": MINIO_PASSWORD})
    stack = Stack(res=res, network=net, services={"postgres": pg, "redis": redis, "minio": minio,
                                                  "elasticsearch": es, "kafka": kafka}, env={
        "DATABASE_URL": f"postgresql://app:{PG_PASSWORD}@postgres:5432/app",
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@redis:6379/0",
        "KAFKA_BROKERS": "kafka:9092", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_USERNAME": KAFKA_USER, "KAFKA_PASSWORD": KAFKA_PASSWORD,
        "ELASTICSEARCH_NODE": "http://elasticsearch:9200", "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "S3_ENDPOINT": "http://minio:9000", "S3_ACCESS_KEY": MINIO_USER, "S3_SECRET_KEY": MINIO_PASSWORD,
        "S3_BUCKET": BUCKET,
    })
    redis.wait_exec("redis-cli", "-a", REDIS_PASSWORD, "--no-auth-warning", "ping", expect="PONG")
    minio.wait_exec("mc", "alias", "set", "local", "http://127.0.0.1:9000", MINIO_USER, MINIO_PASSWORD, timeout=120)
    minio.exec("mc", "mb", "--ignore-existing", f"local/{BUCKET}")
    # The first migration doubles as the wait for postgres (migrate --wait retries the connection).
    first = stack.once("migrate", "--wait", "90", env={})
    assert first.returncode == 0, first.stdout + first.stderr
    stack.first_migrate = first.stdout
    _prepare_kafka(kafka)
    es.wait_exec("curl", "-fsS", "-u", f"elastic:{ES_PASSWORD}",
                 "http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s", timeout=300, interval=3)
    stack.apps["web"] = stack.app("web")
    stack.apps["worker"] = stack.app("worker")
    wait_health(stack.apps["web"], timeout=120)
    return stack


@pytest.fixture(scope="module")
def web(stack: Stack) -> str:
    """Base URL of the module's web process (every dependency configured)."""
    return _base_url(stack.apps["web"])


# -- image and configuration (no services needed) --------------------------------------


def test_image_metadata(docker_resources: DockerResources):
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["User"] == "10001:10001"
    assert cfg["Entrypoint"] == ["/usr/bin/tini", "--", "demo-app"]
    assert cfg["Cmd"] == ["web"]
    assert "8000/tcp" in cfg["ExposedPorts"]
    assert cfg["Healthcheck"]["Test"] == ["CMD", "demo-app", "health"]
    assert "APP_VERSION=1" in cfg["Env"] and "DEMO_FAULT=" in cfg["Env"]
    assert cfg["Labels"]["org.appstack.demo-app.version"] == "1"
    assert docker_resources.run_once(IMAGE, "version").stdout.strip() == "1"
    out = docker_resources.run_once(IMAGE, "version", args=["-e", "APP_VERSION=7.1"]).stdout
    assert out.strip() == "7.1"  # the environment overrides the baked version
    out = docker_resources.run_once(IMAGE, "-c", "id -u; id -g", args=["--entrypoint", "sh"]).stdout.split()
    assert out == ["10001", "10001"]


@pytest.mark.parametrize("env, message", [
    ({"DEMO_FAULT": "explode"}, "DEMO_FAULT='explode'"),
    ({"APP_REQUIRED": "kafka"}, "APP_REQUIRED names kafka, which is not configured"),
    ({"APP_REQUIRED": "database"}, "APP_REQUIRED names database; the dependencies are"),
    ({"PORT": "http"}, "PORT='http' is not an integer"),
    ({"S3_ENDPOINT": "http://minio:9000"}, "S3_ENDPOINT is set, so S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET must be set too"),
    ({"KAFKA_BROKERS": "kafka:9092", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}, "needs KAFKA_USERNAME and KAFKA_PASSWORD"),
    ({"REDIS_URL": "redis://r", "REDIS_URL_FILE": "/run/secrets/redis"}, "both REDIS_URL and REDIS_URL_FILE"),
    ({"DATABASE_URL_FILE": "/nonexistent"}, "DATABASE_URL_FILE=/nonexistent: cannot read it"),
])
def test_configuration_errors_are_named(docker_resources: DockerResources, env, message):
    require_image(IMAGE)
    args = [a for key, value in env.items() for a in ("-e", f"{key}={value}")]
    proc = docker_resources.run_once(IMAGE, "web", args=args, check=False, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr


def test_versions_and_faults_build_from_the_recipe_and_from_the_image(docker_resources: DockerResources, tmp_path):
    """The two documented ways to make versions: build args on the recipe, or FROM appstack/demo-app:1."""
    require_image(IMAGE)
    # The factory's exact base (its layers are then cached): only the last layers are built.
    base = image_config(IMAGE)["Labels"].get("org.appstack.base-image", "")
    base = base if base and image_exists(base) else "appstack/base:trixie"
    by_arg = f"{unique_name('demo-app-v')}:2-smoke"
    derived = f"{unique_name('demo-app-v')}:3"
    (tmp_path / "Dockerfile").write_text(f"FROM {IMAGE}\nENV APP_VERSION=3 DEMO_FAULT=health\n"
                                         "LABEL org.appstack.demo-app.version=3 org.appstack.demo-app.fault=health\n")
    try:
        docker("build", "-q", "--build-arg", f"BASE_IMAGE={base}", "--build-arg", "APP_VERSION=2",
               "--build-arg", "DEMO_FAULT=smoke", "-t", by_arg, str(RECIPE), timeout=900)
        docker("build", "-q", "-t", derived, str(tmp_path), timeout=300)
        for ref, version, fault in ((by_arg, "2", "smoke"), (derived, "3", "health")):
            labels = image_config(ref)["Labels"]
            assert (labels["org.appstack.demo-app.version"], labels["org.appstack.demo-app.fault"]) == (version, fault)
            assert docker_resources.run_once(ref, "version").stdout.strip() == version
            c = docker_resources.run(ref, args=HARDENED)
            status, body = wait_until(lambda: (lambda r: r if r[0] in (200, 503) else None)(
                get_json(_base_url(c) + "/version", timeout=5)), timeout=60, what=f"{ref} to answer")
            assert body == {"version": version, "fault": fault}
    finally:
        docker("rmi", "-f", by_arg, derived, check=False, timeout=120)


# -- against the services ------------------------------------------------------------


def test_migrate_is_idempotent(stack: Stack):
    assert "applied 1; schema at version 1" in stack.first_migrate
    again = stack.once("migrate")
    assert again.returncode == 0, again.stderr
    assert "schema already at version 1, nothing to do" in again.stdout
    assert stack.psql("SELECT count(*) FROM schema_migrations") == "1"
    assert stack.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'") \
        == "events,items,schema_migrations"


def test_migrate_failure_is_clear(stack: Stack):
    bad = stack.once("migrate", "--wait", "0",
                     env={"DATABASE_URL": "postgresql://app:wrong-password@postgres:5432/app"})
    assert bad.returncode == 1
    assert "migrate: FAILED against postgres postgres:5432/app as app" in bad.stderr
    assert "password authentication failed" in bad.stderr
    assert "wrong-password" not in bad.stdout + bad.stderr


def test_health_reports_every_dependency(stack: Stack, web: str):
    status, headers, data = http("GET", web + "/health")
    assert status == 200, data
    assert headers["X-App-Version"] == "1"
    body = json.loads(data)
    assert body["status"] == "ok" and body["version"] == "1" and body["process"] == "web"
    deps = body["dependencies"]
    assert list(deps) == ["postgres", "redis", "kafka", "elasticsearch", "s3"]
    assert all(d["status"] == "ok" and d["required"] for d in deps.values()), deps
    assert "schema version 1" in deps["postgres"]["message"]
    assert "topic events: 2 partition(s)" in deps["kafka"]["message"]
    assert f"bucket {BUCKET}" in deps["s3"]["message"]
    assert get_json(web + "/version") == (200, {"version": "1", "fault": ""})
    # the image's HEALTHCHECK command, inside the hardened container
    assert stack.apps["web"].exec("demo-app", "health").returncode == 0


def test_item_round_trip_cache_search_and_worker_event(stack: Stack, web: str):
    name = f"Contract widget {uuid.uuid4().hex[:6]}"
    status, _, data = http("POST", web + "/api/items", {"name": name, "category": "tools", "price": 12.5})
    assert status == 201, data
    created = json.loads(data)
    item_id, event_id = created["id"], created["event_id"]
    assert created["indexed"] is True and created["kafka"]["offset"] >= 0 and uuid.UUID(event_id)
    assert stack.psql(f"SELECT name || '|' || category || '|' || price || '|' || created_by_version FROM items WHERE id = {item_id}") \
        == f"{name}|tools|12.50|1"
    # read through the cache: a miss fills redis, the second read is a hit
    first, second = get_json(f"{web}/api/items/{item_id}"), get_json(f"{web}/api/items/{item_id}")
    assert (first[0], first[1]["cache"], second[0], second[1]["cache"]) == (200, "miss", 200, "hit")
    assert second[1]["item"]["name"] == name
    cached = stack.services["redis"].exec("redis-cli", "-a", REDIS_PASSWORD, "--no-auth-warning",
                                          "GET", f"demo-app:item:{item_id}").stdout
    assert json.loads(cached)["name"] == name
    # elasticsearch finds it by a word of its name, filtered by category
    word = name.split()[-1]
    status, found = get_json(f"{web}/api/search?q={word}&category=tools")
    assert status == 200 and [hit["id"] for hit in found["items"]] == [item_id], found
    assert get_json(f"{web}/api/search?q={word}&category=garden")[1]["total"] == 0
    # the worker consumed the event (SASL/SCRAM as the app's user) and wrote its row
    status, event = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(get_json(f"{web}/api/events/{event_id}")),
                               timeout=90, interval=1, what=f"the worker's row for event {event_id}",
                               diagnostics=stack.apps["worker"].diagnostics)
    assert event["found"] is True and event["event"]["item_id"] == item_id
    assert event["event"]["type"] == "item.created" and event["event"]["worker_version"] == "1"
    assert get_json(f"{web}/api/events/{uuid.uuid4()}")[0] == 404
    assert get_json(f"{web}/api/items/999999999")[0] == 404


def test_worker_insert_is_idempotent_and_skips_bad_events(stack: Stack, web: str):
    """At-least-once delivery: the same event twice gives one row; a malformed record is skipped."""
    event_id = str(uuid.uuid4())
    event = json.dumps({"id": event_id, "type": "contract.duplicate", "item_id": None})
    script = (
        "import os, sys\n"
        "from confluent_kafka import Producer\n"
        "p = Producer({'bootstrap.servers': 'kafka:9092', 'security.protocol': 'SASL_PLAINTEXT',\n"
        "              'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': os.environ['KAFKA_USERNAME'],\n"
        "              'sasl.password': os.environ['KAFKA_PASSWORD'], 'acks': 'all'})\n"
        "for value in sys.argv[1:]:\n"
        "    p.produce('events', value.encode(), key=b'dup')\n"
        "assert p.flush(30) == 0\n"
    )
    stack.apps["web"].exec("python3", "-c", script, event, "not json", event, timeout=60)
    wait_until(lambda: stack.psql(f"SELECT count(*) FROM events WHERE id = '{event_id}'") == "1", timeout=60,
               what="the duplicated event's row")

    def counts() -> dict | None:
        status, body = get_json(f"http://{stack.apps['worker'].ip()}:8000/health", timeout=5)
        events = body["events"] if status == 200 else {}
        return body if events.get("duplicate", 0) >= 1 and events.get("invalid", 0) >= 1 else None

    body = wait_until(counts, timeout=30, what="the worker to count the duplicate and the invalid record")
    assert body["process"] == "worker" and body["status"] == "ok"
    assert stack.psql(f"SELECT count(*) FROM events WHERE id = '{event_id}'") == "1"
    assert stack.apps["worker"].exec("demo-app", "health").returncode == 0


def test_objects_in_the_bucket(stack: Stack, web: str):
    key = f"contract/{uuid.uuid4().hex}/hello world.txt"
    payload = "object payload \u00e9\n".encode()
    quoted = urllib.request.quote(key)
    status, _, data = http("PUT", f"{web}/api/objects/{quoted}", raw=payload, content_type="text/plain")
    assert status == 201, data
    status, headers, data = http("GET", f"{web}/api/objects/{quoted}")
    assert (status, data, headers["Content-Type"]) == (200, payload, "text/plain")
    listing = stack.services["minio"].exec("mc", "ls", "--recursive", f"local/{BUCKET}/contract/").stdout
    assert "hello world.txt" in listing
    assert http("GET", f"{web}/api/objects/contract/missing.txt")[0] == 404


def test_metrics(stack: Stack, web: str):
    http("GET", web + "/version")
    http("GET", web + "/api/items/424242")
    status, headers, data = http("GET", web + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    series = parse_metrics(data.decode())
    assert series['demo_app_info{fault="none",process="web",version="1"}'] == 1
    assert series['http_requests_total{method="GET",path="/version",status="200"}'] >= 1
    assert series['http_requests_total{method="GET",path="/api/items/{id}",status="404"}'] >= 1
    assert metric(series, "http_request_duration_seconds_count")
    assert series['demo_app_dependency_up{dependency="postgres"}'] == 1
    worker = http("GET", f"http://{stack.apps['worker'].ip()}:8000/metrics")[2].decode()
    assert 'demo_app_info{fault="none",process="worker",version="1"} 1.0' in worker


def test_websocket_echo(stack: Stack):
    ws = WebSocket(stack.apps["web"].ip(), 8000)
    try:
        assert ws.headers["x-app-version"] == "1"
        ws.send("hello, demo")
        assert ws.recv() == (1, b"hello, demo")
        ws.send(b"\x00\x01binary\xff")
        assert ws.recv() == (2, b"\x00\x01binary\xff")
        big = "x" * 5000
        ws.send(big)
        assert ws.recv() == (1, big.encode())
    finally:
        ws.close()


def test_smoke_command(stack: Stack, web: str):
    ok = stack.once("smoke", web, "--expect-version", "1", "--events", base_env=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for line in ("smoke: health ok, version 1", "(cache miss, then hit)", "smoke: search found item",
                 "written by the worker", "stored and read", "smoke: passed"):
        assert line in ok.stdout, ok.stdout
    wrong = stack.once("smoke", web, "--expect-version", "2", base_env=False)
    assert wrong.returncode == 1 and "version is 1, expected 2" in wrong.stdout


def test_secrets_from_files(stack: Stack, tmp_path):
    """Every secret as NAME_FILE (a read-only bind mount, as the shared path mounts /run/secrets)."""
    names = ("DATABASE_URL", "REDIS_URL", "S3_SECRET_KEY", "KAFKA_PASSWORD", "ELASTICSEARCH_PASSWORD")
    env = {k: v for k, v in stack.env.items() if k not in names}
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    for name in names:
        (secrets / name.lower()).write_text(stack.env[name] + "\n")
        (secrets / name.lower()).chmod(0o444)
        env[f"{name}_FILE"] = f"/run/secrets/{name.lower()}"
    c = stack.app("web", env=env, base_env=False, volumes=(f"{secrets}:/run/secrets:ro",))
    body = wait_health(c)
    assert all(d["status"] == "ok" for d in body["dependencies"].values()), body
    assert len(body["dependencies"]) == 5
    status, _, data = http("PUT", f"{_base_url(c)}/api/objects/from-file.txt", raw=b"secret-file keys")
    assert status == 201, data
    inspect = json.dumps(c.inspect()["Config"]["Env"])
    assert MINIO_PASSWORD not in inspect and PG_PASSWORD not in inspect


def test_fault_switches(stack: Stack):
    health_fault = stack.app("web", env={"DEMO_FAULT": "health"})
    url = _base_url(health_fault) + "/health"
    # only the switch fails it: every dependency is ok
    status, body = wait_until(lambda: (lambda r: r if r[0] == 503 and all(
        d["status"] == "ok" for d in r[1]["dependencies"].values()) else None)(get_json(url, timeout=10)),
        timeout=120, interval=1, what="/health 503 with every dependency ok", diagnostics=health_fault.diagnostics)
    assert body["fault"].startswith("DEMO_FAULT=health") and body["status"] == "fail"
    assert health_fault.exec("demo-app", "health", check=False).returncode == 1
    assert get_json(_base_url(health_fault) + "/api/ping")[0] == 200

    smoke_fault = stack.app("web", env={"DEMO_FAULT": "smoke"})
    wait_health(smoke_fault, expect=200)
    status, _, data = http("GET", _base_url(smoke_fault) + "/api/ping")
    assert status == 500 and b"DEMO_FAULT=smoke" in data
    run = stack.once("smoke", _base_url(smoke_fault), base_env=False)
    assert run.returncode == 1 and "smoke: FAILED: GET /api/health: HTTP 500" in run.stdout

    migrate_fault = stack.once("migrate", env={"DEMO_FAULT": "migrate"})
    assert migrate_fault.returncode == 1
    assert "migrate: FAILED on purpose (DEMO_FAULT=migrate); nothing was changed" in migrate_fault.stderr


def test_graceful_shutdown_finishes_requests_then_closes_websockets(stack: Stack):
    """SIGTERM: no new connections; the request in flight answers; then the WebSocket gets a close frame."""
    c = stack.app("web", base_env=False, env={"SHUTDOWN_TIMEOUT": "20"})
    wait_health(c)
    ip = c.ip()
    ws = WebSocket(ip, 8000)
    ws.send("before")
    assert ws.recv() == (1, b"before")
    slow: dict[str, Any] = {}

    def slow_request() -> None:
        slow["result"] = http("GET", f"http://{ip}:8000/api/sleep?seconds=6", timeout=30)
        slow["done"] = time.monotonic()

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(1.0)
    docker("kill", "--signal", "TERM", c.name)
    term = time.monotonic()

    def refused() -> bool:
        try:
            socket.create_connection((ip, 8000), timeout=2).close()
            return False
        except ConnectionRefusedError:
            return True

    wait_until(refused, timeout=10, interval=0.2, what="the listener to close")
    assert "done" not in slow  # the slow request is still in flight while new connections are refused
    opcode, payload = ws.recv()
    closed = time.monotonic()
    ws.close()
    thread.join(timeout=30)
    status, headers, data = slow["result"]
    assert status == 200 and json.loads(data)["slept"] == 6 and headers["X-App-Version"] == "1"
    assert opcode == 8 and struct.unpack("!H", payload[:2])[0] == 1001 and b"shutting down" in payload
    assert closed - term >= 4  # the close frame came once the request had finished (about 5 s after SIGTERM)
    assert c.wait_exit(timeout=30) == 0
    assert "shutdown: done" in c.logs(None)


def test_worker_stops_cleanly_on_sigterm(stack: Stack):
    worker = stack.app("worker", env={"KAFKA_GROUP": "contract-stop"})
    wait_health(worker)
    docker("kill", "--signal", "TERM", worker.name)
    assert worker.wait_exit(timeout=60) == 0
    assert "leaving group contract-stop" in worker.logs(None)


def test_health_fails_naming_postgres_when_it_stops(stack: Stack):
    """Last: stops and restarts the shared postgres. A web that does not require postgres stays healthy."""
    lenient = stack.app("web", env={"APP_REQUIRED": "redis,s3"})
    wait_health(lenient)
    pg = stack.services["postgres"]
    pg.stop(stop_timeout=20)
    try:
        body = wait_health(stack.apps["web"], expect=503, timeout=60)
        assert body["status"] == "fail"
        assert body["dependencies"]["postgres"]["status"] == "error"
        assert body["dependencies"]["postgres"]["message"]
        assert all(d["status"] == "ok" for name, d in body["dependencies"].items() if name != "postgres")
        assert stack.apps["web"].exec("demo-app", "health", check=False).returncode == 1
        status, lenient_body = get_json(_base_url(lenient) + "/health")
        assert status == 200 and lenient_body["dependencies"]["postgres"]["status"] == "error"
        assert lenient_body["dependencies"]["postgres"]["required"] is False
    finally:
        pg.start()
    wait_health(stack.apps["web"], expect=200, timeout=120)
