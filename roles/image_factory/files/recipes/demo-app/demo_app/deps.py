"""The web process's dependency clients, built from the configuration, and their health checks."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

import aiohttp

from demo_app import DEPENDENCIES
from demo_app.broker import Publisher
from demo_app.cache import Cache
from demo_app.config import Config
from demo_app.metrics import DEPENDENCY_UP
from demo_app.objects import ObjectStore
from demo_app.postgres import Postgres
from demo_app.search import Search

log = logging.getLogger("demo_app.deps")


class NotConfigured(RuntimeError):
    """An endpoint needs a dependency whose variables are not set."""

    def __init__(self, name: str) -> None:
        variable = {"postgres": "DATABASE_URL", "redis": "REDIS_URL", "kafka": "KAFKA_BROKERS",
                    "elasticsearch": "ELASTICSEARCH_NODE", "s3": "S3_ENDPOINT"}[name]
        super().__init__(f"{name} is not configured ({variable} is not set)")
        self.name = name


class Deps:
    """One client per configured dependency (None for the others)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.postgres: Postgres | None = None
        self.redis: Cache | None = None
        self.kafka: Publisher | None = None
        self.search: Search | None = None
        self.objects: ObjectStore | None = None
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        cfg = self.cfg
        self.session = aiohttp.ClientSession()
        if cfg.database_url:
            self.postgres = Postgres(cfg.database_url, cfg.db_pool_size)
            await self.postgres.open()
        if cfg.redis_url:
            self.redis = Cache(cfg.redis_url, cfg.cache_ttl)
        if cfg.kafka:
            self.kafka = Publisher(cfg.kafka)
        if cfg.elasticsearch:
            self.search = Search(cfg.elasticsearch, self.session)
        if cfg.s3:
            self.objects = ObjectStore(cfg.s3, self.session)

    async def close(self) -> None:
        for name, closer in (("postgres", self.postgres and self.postgres.close),
                             ("redis", self.redis and self.redis.close),
                             ("kafka", self.kafka and (lambda: asyncio.to_thread(self.kafka.close))),
                             ("http", self.session and self.session.close)):
            if closer:
                try:
                    await closer()
                except Exception as exc:  # noqa: BLE001 - closing on the way out, report and go on
                    log.warning("closing %s: %s", name, exc)

    def need(self, name: str) -> Any:
        """The client of dependency NAME; raise NotConfigured when it has none."""
        client = {"postgres": self.postgres, "redis": self.redis, "kafka": self.kafka,
                  "elasticsearch": self.search, "s3": self.objects}[name]
        if client is None:
            raise NotConfigured(name)
        return client

    def _checks(self, timeout: float) -> dict[str, Callable[[], Awaitable[str]]]:
        checks: dict[str, Callable[[], Awaitable[str]]] = {}
        if self.postgres:
            checks["postgres"] = lambda: self.postgres.check(timeout)
        if self.redis:
            checks["redis"] = lambda: self.redis.check(timeout)
        if self.kafka:
            checks["kafka"] = lambda: asyncio.to_thread(self.kafka.check, timeout)
        if self.search:
            checks["elasticsearch"] = lambda: self.search.check(timeout)
        if self.objects:
            checks["s3"] = lambda: self.objects.check(timeout)
        return checks

    async def check_all(self) -> dict[str, dict[str, Any]]:
        """Check every configured dependency at once, each bounded by HEALTH_TIMEOUT."""
        timeout = self.cfg.health_timeout
        checks = self._checks(timeout)

        async def one(name: str, check: Callable[[], Awaitable[str]]) -> dict[str, Any]:
            start = time.monotonic()
            try:
                message = await asyncio.wait_for(check(), timeout=timeout + 0.5)
                ok = True
            except (asyncio.TimeoutError, TimeoutError):
                ok, message = False, f"no answer within {timeout:g} s"
            except Exception as exc:  # noqa: BLE001 - any failure is the dependency's state
                ok, message = False, f"{type(exc).__name__}: {str(exc).strip() or repr(exc)}"
            DEPENDENCY_UP.labels(dependency=name).set(1 if ok else 0)
            return {"status": "ok" if ok else "error", "required": name in self.cfg.required,
                    "message": message.replace("\n", " ")[:500],
                    "latency_ms": round((time.monotonic() - start) * 1000, 1)}

        results = await asyncio.gather(*(one(name, check) for name, check in checks.items()))
        by_name = dict(zip(checks, results))
        return {name: by_name[name] for name in DEPENDENCIES if name in by_name}
