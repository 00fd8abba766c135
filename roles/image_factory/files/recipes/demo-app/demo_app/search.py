"""Elasticsearch over its REST API (aiohttp; no client library needed)."""

from __future__ import annotations

from typing import Any

import aiohttp

from demo_app.config import ElasticsearchConfig

#: Mapping of the app's index, created on first use.
MAPPING = {"mappings": {"properties": {
    "name": {"type": "text"},
    "category": {"type": "keyword"},
    "price": {"type": "double"},
    "created_at": {"type": "date"},
    "created_by_version": {"type": "keyword"},
}}}


class SearchError(RuntimeError):
    """Elasticsearch answered with an error."""


class Search:
    """Index and search the app's items."""

    def __init__(self, cfg: ElasticsearchConfig, session: aiohttp.ClientSession) -> None:
        self.cfg = cfg
        self.session = session
        self.auth = aiohttp.BasicAuth(cfg.username, cfg.password) if cfg.username else None
        self._index_ready = False

    async def _call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> tuple[int, Any]:
        async with self.session.request(method, f"{self.cfg.node}{path}", json=body, auth=self.auth,
                                        timeout=aiohttp.ClientTimeout(total=15)) as resp:
            data = await resp.json(content_type=None) if resp.content_length != 0 else None
            if resp.status not in ok:
                reason = (data or {}).get("error", data) if isinstance(data, dict) else data
                if isinstance(reason, dict):
                    reason = f"{reason.get('type')}: {reason.get('reason')}"
                raise SearchError(f"{method} {path}: HTTP {resp.status}: {reason}")
            return resp.status, data

    async def check(self, timeout: float) -> str:
        """Raise unless the cluster answers (cluster health, or who-am-I without the monitor privilege)."""
        try:
            _, health = await self._call("GET", "/_cluster/health")
        except SearchError as exc:
            if "HTTP 403" not in str(exc):
                raise
            _, me = await self._call("GET", "/_security/_authenticate")
            return f"authenticated as {me.get('username')} (no monitor privilege for cluster health)"
        if health.get("status") == "red":
            raise SearchError(f"cluster {health.get('cluster_name')} is red")
        return f"cluster {health.get('cluster_name')} {health.get('status')}"

    async def ensure_index(self) -> None:
        """Create the index with its mapping unless it exists (once per process)."""
        if self._index_ready:
            return
        try:
            await self._call("PUT", f"/{self.cfg.index}", MAPPING)
        except SearchError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise
        self._index_ready = True

    async def index_item(self, item: dict[str, Any]) -> None:
        """Index ITEM; visible to searches when this returns (refresh=wait_for)."""
        await self.ensure_index()
        await self._call("PUT", f"/{self.cfg.index}/_doc/{item['id']}?refresh=wait_for", item)

    async def search(self, q: str, category: str, size: int) -> dict[str, Any]:
        """Items whose name matches Q (all when empty), optionally only of CATEGORY."""
        must: list[dict] = [{"match": {"name": q}}] if q else [{"match_all": {}}]
        filters = [{"term": {"category": category}}] if category else []
        body = {"size": size, "query": {"bool": {"must": must, "filter": filters}}}
        try:
            _, res = await self._call("POST", f"/{self.cfg.index}/_search", body)
        except SearchError as exc:
            if "index_not_found_exception" in str(exc):
                return {"total": 0, "items": []}
            raise
        hits = res["hits"]
        return {"total": hits["total"]["value"],
                "items": [{**hit["_source"], "score": hit["_score"]} for hit in hits["hits"]]}
