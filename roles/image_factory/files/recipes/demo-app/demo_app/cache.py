"""Redis as a read-through cache of items (redis-py's asyncio client)."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis


class Cache:
    """Items cached as JSON under ``demo-app:item:<id>`` for TTL seconds."""

    PREFIX = "demo-app:item:"

    def __init__(self, url: str, ttl: int) -> None:
        self.ttl = ttl
        self.client = aioredis.from_url(url, socket_connect_timeout=3, socket_timeout=3, decode_responses=True,
                                        health_check_interval=30, client_name="demo-app")

    async def close(self) -> None:
        await self.client.aclose()

    async def check(self, timeout: float) -> str:
        """Raise unless PING answers; return the server version."""
        await self.client.ping()
        info = await self.client.info("server")
        return f"Redis {info.get('redis_version', '?')}"

    async def get_item(self, item_id: int) -> dict[str, Any] | None:
        raw = await self.client.get(f"{self.PREFIX}{item_id}")
        return json.loads(raw) if raw else None

    async def put_item(self, item: dict[str, Any]) -> None:
        await self.client.set(f"{self.PREFIX}{item['id']}", json.dumps(item), ex=self.ttl)
