"""Kafka through librdkafka (python3-confluent-kafka): the web process's producer.

The worker's consumer is in ``worker``. Every call is bounded in time; librdkafka's own log and
error callbacks go to Python logging, and the last error is kept for /health messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from demo_app.config import KafkaConfig

log = logging.getLogger("demo_app.kafka")


class ErrorMemory:
    """librdkafka ``error_cb``: remembers the last error (message and time) and logs it."""

    def __init__(self) -> None:
        self.message = ""
        self.at = 0.0

    def __call__(self, err: KafkaError) -> None:
        self.message, self.at = err.str(), time.monotonic()
        log.warning("kafka: %s", err.str())

    def recent(self, seconds: float = 60.0) -> str:
        """The last error if it happened within SECONDS, else ''."""
        return self.message if self.message and time.monotonic() - self.at < seconds else ""


class Publisher:
    """A producer with acks=all; ``publish`` resolves when the broker acknowledged the record."""

    def __init__(self, cfg: KafkaConfig) -> None:
        self.cfg = cfg
        self.errors = ErrorMemory()
        self.producer = Producer({
            **cfg.client_settings(), "acks": "all", "enable.idempotence": False,
            "message.timeout.ms": 15000, "socket.timeout.ms": 10000, "linger.ms": 5,
            "client.id": "demo-app-web", "error_cb": self.errors, "logger": log,
        })
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="kafka-delivery", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """Serve delivery reports (the callbacks run in this thread)."""
        while not self._stop.is_set():
            self.producer.poll(0.2)

    async def publish(self, key: str, value: dict[str, Any]) -> dict[str, int]:
        """Send VALUE as JSON to the topic; return partition and offset once acknowledged by all replicas."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def delivered(err: KafkaError | None, msg: Any) -> None:
            outcome = (err, None if err else {"partition": msg.partition(), "offset": msg.offset()})
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(outcome))

        self.producer.produce(self.cfg.topic, json.dumps(value).encode(), key=key.encode(), on_delivery=delivered)
        err, where = await asyncio.wait_for(done, timeout=20)
        if err is not None:
            raise KafkaException(err)
        return where

    def check(self, timeout: float) -> str:
        """(Blocking) Raise unless the broker answers a metadata request for the topic."""
        try:
            meta = self.producer.list_topics(self.cfg.topic, timeout=timeout)
        except KafkaException as exc:
            detail = self.errors.recent()
            raise RuntimeError(f"{exc.args[0].str() if exc.args else exc}{'; ' + detail if detail else ''}") from None
        topic = meta.topics.get(self.cfg.topic)
        if topic is None or topic.error is not None:
            reason = topic.error.str() if topic is not None and topic.error else "not in the metadata"
            raise RuntimeError(f"topic {self.cfg.topic}: {reason}")
        return f"topic {self.cfg.topic}: {len(topic.partitions)} partition(s), {len(meta.brokers)} broker(s)"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.producer.flush(5)
