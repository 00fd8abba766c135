"""``demo-app worker``: consume KAFKA_TOPIC as KAFKA_GROUP and write each event as a row of ``events``.

At-least-once: a batch's rows are written and committed in PostgreSQL first, then the batch's
offsets are committed to Kafka. A crash between the two redelivers the batch, and the insert
is idempotent on the event id (``ON CONFLICT (id) DO NOTHING``), so a redelivered event is a
duplicate, never a second row. When PostgreSQL fails, the batch is not committed: the consumer
seeks back and retries it after a pause. SIGTERM finishes the batch in hand, commits, leaves
the group and exits 0.

The worker also serves ``/health`` and ``/metrics`` on PORT (a small thread), so the image's
HEALTHCHECK (``demo-app health``) and Prometheus work for it as for the web process.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaException, TopicPartition
from psycopg.types.json import Jsonb

from demo_app import metrics
from demo_app.broker import ErrorMemory
from demo_app.config import Config

log = logging.getLogger("demo_app.worker")
INSERT = ("INSERT INTO events (id, type, item_id, payload, kafka_partition, kafka_offset, worker_version)"
          " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING")
#: The loop is considered stuck when it has not polled for this long (seconds).
STALE_AFTER = 60.0


class Status:
    """What /health reports: loop liveness, last database outcome, counters."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.last_poll = time.monotonic()
        self.db_error = ""
        self.counts = {"written": 0, "duplicate": 0, "invalid": 0}
        self.kafka_errors = ErrorMemory()

    def report(self) -> tuple[int, dict[str, Any]]:
        age = time.monotonic() - self.last_poll
        kafka_error = self.kafka_errors.recent(30)
        deps = {
            "postgres": {"status": "error" if self.db_error else "ok", "required": True,
                         "message": self.db_error or "last batch written"},
            "kafka": {"status": "ok" if age < STALE_AFTER and not kafka_error else "error", "required": True,
                      "message": kafka_error or f"polled {age:.1f} s ago"},
        }
        ok = all(d["status"] == "ok" for d in deps.values()) and self.cfg.fault != "health"
        body = {"status": "ok" if ok else "fail", "version": self.cfg.version, "process": "worker",
                "topic": self.cfg.kafka.topic, "group": self.cfg.kafka.group, "events": self.counts,
                "dependencies": deps}
        if self.cfg.fault == "health":
            body["fault"] = "DEMO_FAULT=health: /health fails on purpose"
        return (200 if ok else 503), body


def _serve_status(status: Status, port: int) -> ThreadingHTTPServer:
    """Serve /health and /metrics on PORT in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?")[0] == "/health":
                code, body = status.report()
                data, ctype = json.dumps(body).encode(), "application/json"
            elif self.path.split("?")[0] == "/metrics":
                code, (data, ctype) = 200, metrics.render()
            else:
                code, data, ctype = 404, b'{"error": "the worker serves /health and /metrics"}', "application/json"
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-App-Version", status.cfg.version)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="status-http", daemon=True).start()
    return server


def _row(msg: Any, version: str) -> tuple | None:
    """The INSERT parameters for a Kafka message, or None when it is not a valid event."""
    try:
        event = json.loads(msg.value())
        event_id = str(uuid.UUID(str(event["id"])))
        item_id = event.get("item_id")
        return (event_id, str(event.get("type", "unknown")), int(item_id) if item_id is not None else None,
                Jsonb(event), msg.partition(), msg.offset(), version)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("skipping an invalid event at %s/%s@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc)
        return None


class Worker:
    """The consume, write, commit loop."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.status = Status(cfg)
        self.stopping = threading.Event()
        self.db: psycopg.Connection | None = None
        self.consumer = Consumer({
            **cfg.kafka.client_settings(), "group.id": cfg.kafka.group, "client.id": "demo-app-worker",
            "enable.auto.commit": False, "auto.offset.reset": "earliest", "session.timeout.ms": 15000,
            "error_cb": self.status.kafka_errors, "logger": logging.getLogger("demo_app.kafka"),
        })

    def _connection(self) -> psycopg.Connection:
        if self.db is None or self.db.closed or self.db.broken:
            self.db = psycopg.connect(self.cfg.database_url, connect_timeout=5, application_name="demo-app worker")
        return self.db

    def _write(self, batch: list) -> None:
        """Insert the batch's events in one transaction (raises on a database failure)."""
        rows = [row for row in (_row(msg, self.cfg.version) for msg in batch) if row is not None]
        invalid = len(batch) - len(rows)
        conn = self._connection()
        written = 0
        with conn.transaction():
            with conn.cursor() as cur:
                for row in rows:
                    cur.execute(INSERT, row)
                    written += cur.rowcount
        for result, count in (("written", written), ("duplicate", len(rows) - written), ("invalid", invalid)):
            self.status.counts[result] += count
            metrics.EVENTS_CONSUMED.labels(result=result).inc(count)

    def _rewind(self, batch: list) -> None:
        """Seek each partition of BATCH back to its first offset in it (to process it again)."""
        first: dict[tuple[str, int], int] = {}
        for msg in batch:
            key = (msg.topic(), msg.partition())
            first[key] = min(first.get(key, msg.offset()), msg.offset())
        for (topic, partition), offset in first.items():
            try:
                self.consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:  # partition revoked meanwhile: its new owner reads it
                log.warning("seek %s/%s: %s", topic, partition, exc)

    def run(self) -> int:
        self.consumer.subscribe([self.cfg.kafka.topic])
        log.info("worker: version %s consuming %s as group %s", self.cfg.version, self.cfg.kafka.topic, self.cfg.kafka.group)
        backoff = 1.0
        while not self.stopping.is_set():
            batch = self.consumer.consume(num_messages=100, timeout=1.0)
            self.status.last_poll = time.monotonic()
            for msg in batch:
                if msg.error():
                    log.warning("kafka: %s", msg.error().str())
            batch = [msg for msg in batch if not msg.error()]
            if not batch:
                continue
            try:
                self._write(batch)
            except psycopg.Error as exc:
                self.status.db_error = f"{type(exc).__name__}: {str(exc).strip()}"[:300]
                log.warning("worker: batch of %d not written, retrying in %.0f s: %s", len(batch), backoff, self.status.db_error)
                if self.db is not None and not self.db.closed:
                    self.db.close()
                self._rewind(batch)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self.status.db_error, backoff = "", 1.0
            try:
                self.consumer.commit(asynchronous=False)
            except KafkaException as exc:  # e.g. a rebalance: the batch comes again, as duplicates
                log.warning("worker: offsets not committed (%s); the batch may be redelivered", exc)
        log.info("worker: stopping; leaving group %s", self.cfg.kafka.group)
        self.consumer.close()
        if self.db is not None:
            self.db.close()
        return 0


def run(cfg: Config) -> int:
    """Run the worker until SIGTERM/SIGINT; return the exit code."""
    missing = [name for name, value in (("DATABASE_URL", cfg.database_url), ("KAFKA_BROKERS", cfg.kafka)) if not value]
    if missing:
        log.error("worker: %s must be set (the worker reads Kafka and writes PostgreSQL)", " and ".join(missing))
        return 2
    metrics.set_info(cfg.version, "worker", cfg.fault)
    worker = Worker(cfg)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stopping.set())
    server = _serve_status(worker.status, cfg.port)
    try:
        return worker.run()
    finally:
        server.shutdown()
