"""PostgreSQL access for the web process (psycopg 3, async pool)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout


def describe_url(url: str) -> str:
    """host:port/database as user - the URL without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or '/'} as {parts.username or '(default user)'}"


class Postgres:
    """A small connection pool and the app's queries."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.pool = AsyncConnectionPool(url, min_size=1, max_size=size, open=False, timeout=10,
                                        check=AsyncConnectionPool.check_connection,
                                        kwargs={"connect_timeout": 5, "application_name": "demo-app",
                                                "row_factory": dict_row})

    async def open(self) -> None:
        """Start the pool without waiting for the server (the app starts while postgres is down)."""
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close(timeout=5)

    async def check(self, timeout: float) -> str:
        """Raise unless a query answers; return a short description (server version, schema version).

        When the pool has no connection to give, a direct connection attempt names the real cause
        (refused, authentication failed, ...) instead of the pool's timeout.
        """
        try:
            async with self.pool.connection(timeout=timeout / 2) as conn:
                return await self._describe(conn)
        except PoolTimeout:
            async with await psycopg.AsyncConnection.connect(
                    self.url, connect_timeout=max(1, int(timeout / 2)), row_factory=dict_row) as conn:
                return await self._describe(conn) + " (pool busy)"

    @staticmethod
    async def _describe(conn: psycopg.AsyncConnection) -> str:
        """Server version and schema version, e.g. 'PostgreSQL 17.6, schema version 1'."""
        row = await (await conn.execute(
            "SELECT current_setting('server_version') AS server,"
            " to_regclass('schema_migrations') IS NOT NULL AS migrated")).fetchone()
        schema = "not migrated"
        if row["migrated"]:
            ver = await (await conn.execute("SELECT max(version) AS v FROM schema_migrations")).fetchone()
            schema = f"schema version {ver['v']}"
        return f"PostgreSQL {row['server']}, {schema}"

    async def insert_item(self, name: str, category: str, price: float, version: str) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO items (name, category, price, created_by_version) VALUES (%s, %s, %s, %s)"
                " RETURNING id, name, category, price::float8 AS price, created_at, created_by_version",
                (name, category, price, version))
            return _jsonable(await cur.fetchone())

    async def get_item(self, item_id: int) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, category, price::float8 AS price, created_at, created_by_version FROM items WHERE id = %s",
                (item_id,))
            row = await cur.fetchone()
            return _jsonable(row) if row else None

    async def get_event(self, event_id: str) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id::text, type, item_id, payload, kafka_partition, kafka_offset, received_at, worker_version"
                " FROM events WHERE id = %s", (event_id,))
            row = await cur.fetchone()
            return _jsonable(row) if row else None


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as ISO 8601 strings, everything else as it is."""
    return json.loads(json.dumps(row, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
