"""``demo-app web``: the HTTP server (aiohttp).

Every response carries ``X-App-Version``. On SIGTERM the server stops accepting connections,
closes idle keep-alive connections, lets the requests in flight finish (up to SHUTDOWN_TIMEOUT
seconds), then closes the WebSockets with a close frame (1001, going away) and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from demo_app import metrics
from demo_app.config import Config
from demo_app.deps import Deps, NotConfigured

log = logging.getLogger("demo_app.web")
MAX_BODY = 10 * 1024 * 1024


@dataclass
class State:
    """Process-wide state: configuration, clients, requests in flight, open WebSockets."""

    cfg: Config
    deps: Deps
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    websockets: set[web.WebSocketResponse] = field(default_factory=set)


STATE = web.AppKey("state", State)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, default=str))


def _route(request: web.Request) -> str:
    """The route template of REQUEST (bounded metric label)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def frame(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Version header, metrics, JSON errors, requests-in-flight accounting, the ``smoke`` fault."""
    state = request.app[STATE]
    version = state.cfg.version
    start = time.monotonic()
    counted = request.path != "/ws"
    if counted:
        state.in_flight += 1
        state.idle.clear()
        metrics.IN_FLIGHT.inc()
    status = 500
    try:
        if state.cfg.fault == "smoke" and request.path.startswith("/api/"):
            response: web.StreamResponse = _json({"error": "DEMO_FAULT=smoke: /api fails on purpose", "version": version}, 500)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                status = exc.status
                exc.headers["X-App-Version"] = version
                raise
            except NotConfigured as exc:
                response = _json({"error": str(exc), "dependency": exc.name}, 503)
            except Exception as exc:  # noqa: BLE001 - a JSON 500 that names the failure
                log.exception("%s %s failed", request.method, request.path)
                response = _json({"error": f"{type(exc).__name__}: {exc}"}, 500)
        status = response.status
        if not response.prepared:
            response.headers["X-App-Version"] = version
        return response
    finally:
        labels = {"method": request.method, "path": _route(request), "status": str(status)}
        metrics.REQUESTS.labels(**labels).inc()
        metrics.LATENCY.labels(**labels).observe(time.monotonic() - start)
        if counted:
            metrics.IN_FLIGHT.dec()
            state.in_flight -= 1
            if state.in_flight == 0:
                state.idle.set()


async def health(request: web.Request) -> web.Response:
    """Each configured dependency's state; 200 when every required one is ok, else 503."""
    state = request.app[STATE]
    cfg = state.cfg
    deps = await state.deps.check_all()
    ok = all(deps[name]["status"] == "ok" for name in cfg.required if name in deps)
    body: dict[str, Any] = {"status": "ok" if ok else "fail", "version": cfg.version, "process": "web",
                            "dependencies": deps}
    if cfg.fault == "health":
        body.update(status="fail", fault="DEMO_FAULT=health: /health fails on purpose")
        ok = False
    return _json(body, 200 if ok else 503)


async def version(request: web.Request) -> web.Response:
    cfg = request.app[STATE].cfg
    return _json({"version": cfg.version, "fault": cfg.fault})


async def render_metrics(request: web.Request) -> web.Response:
    body, content_type = metrics.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def ping(request: web.Request) -> web.Response:
    """The smallest /api call: no dependency involved."""
    return _json({"pong": True, "version": request.app[STATE].cfg.version})


async def sleep(request: web.Request) -> web.Response:
    """Answer after ``seconds`` (at most 60): a request in flight, for shutdown and drain tests."""
    try:
        seconds = min(60.0, max(0.0, float(request.query.get("seconds", "1"))))
    except ValueError:
        raise web.HTTPBadRequest(text="seconds must be a number") from None
    await asyncio.sleep(seconds)
    return _json({"slept": seconds, "version": request.app[STATE].cfg.version})


def _item_input(body: Any) -> tuple[str, str, float]:
    """Validated (name, category, price) of a POST /api/items body, or HTTP 400."""
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='expected a JSON object {"name", "category", "price"}')
    name, category, price = body.get("name"), body.get("category"), body.get("price")
    problems = []
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 200:
        problems.append("name: a non-empty string of at most 200 characters")
    if not isinstance(category, str) or not 0 < len(category.strip()) <= 100:
        problems.append("category: a non-empty string of at most 100 characters")
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price < 1e10:
        problems.append("price: a number from 0")
    if problems:
        raise web.HTTPBadRequest(text="; ".join(problems))
    return name.strip(), category.strip(), float(price)


async def create_item(request: web.Request) -> web.Response:
    """Write the item to postgres, index it (elasticsearch), publish item.created (kafka, acks=all)."""
    state = request.app[STATE]
    deps, cfg = state.deps, state.cfg
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    name, category, price = _item_input(body)
    item = await deps.need("postgres").insert_item(name, category, price, cfg.version)
    metrics.ITEMS_CREATED.inc()
    result: dict[str, Any] = {"id": item["id"], "item": item, "version": cfg.version, "indexed": False, "event_id": None}
    try:
        if deps.search:
            await deps.search.index_item(item)
            result["indexed"] = True
        if deps.kafka:
            event = {"id": str(uuid.uuid4()), "type": "item.created", "item_id": item["id"], "item": item,
                     "version": cfg.version}
            result["kafka"] = await deps.kafka.publish(str(item["id"]), event)
            result["event_id"] = event["id"]
            metrics.EVENTS_PUBLISHED.inc()
    except Exception as exc:  # noqa: BLE001 - the row exists; say what else failed
        log.warning("item %s written but: %s", item["id"], exc)
        return _json({**result, "error": f"item {item['id']} written, then {type(exc).__name__}: {exc}"}, 502)
    return _json(result, 201)


def _int_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="item ids are integers") from None


async def get_item(request: web.Request) -> web.Response:
    """Read through the redis cache; ``cache`` is hit, miss, off (no redis) or error (redis failed)."""
    deps = request.app[STATE].deps
    item_id = _int_id(request)
    cache = "off"
    if deps.redis:
        try:
            cached = await deps.redis.get_item(item_id)
            if cached is not None:
                return _json({"item": cached, "cache": "hit"})
            cache = "miss"
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation
            log.warning("redis get: %s", exc)
            cache = "error"
    item = await deps.need("postgres").get_item(item_id)
    if item is None:
        return _json({"error": f"no item {item_id}", "cache": cache}, 404)
    if cache == "miss":
        try:
            await deps.redis.put_item(item)
        except Exception as exc:  # noqa: BLE001
            log.warning("redis set: %s", exc)
            cache = "error"
    return _json({"item": item, "cache": cache})


async def search(request: web.Request) -> web.Response:
    """GET /api/search?q=<words in the name>&category=<exact>&size=<1..100>."""
    try:
        size = min(100, max(1, int(request.query.get("size", "20"))))
    except ValueError:
        raise web.HTTPBadRequest(text="size must be an integer") from None
    found = await request.app[STATE].deps.need("elasticsearch").search(
        request.query.get("q", "").strip(), request.query.get("category", "").strip(), size)
    return _json(found)


def _object_key(request: web.Request) -> str:
    key = request.match_info["key"]
    if len(key) > 900 or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
        raise web.HTTPBadRequest(text="bad object key")
    return key


async def put_object(request: web.Request) -> web.Response:
    key = _object_key(request)
    body = await request.read()
    stored = await request.app[STATE].deps.need("s3").put(key, body, request.content_type or "application/octet-stream")
    return _json(stored, 201)


async def get_object(request: web.Request) -> web.Response:
    key = _object_key(request)
    found = await request.app[STATE].deps.need("s3").get(key)
    if found is None:
        return _json({"error": f"no object {key}"}, 404)
    data, content_type = found
    return web.Response(body=data, headers={"Content-Type": content_type})


async def get_event(request: web.Request) -> web.Response:
    """Whether the worker wrote the row of event ``id`` (the event_id POST /api/items returned)."""
    event_id = request.match_info["id"]
    try:
        uuid.UUID(event_id)
    except ValueError:
        raise web.HTTPNotFound(text="event ids are UUIDs") from None
    row = await request.app[STATE].deps.need("postgres").get_event(event_id)
    if row is None:
        return _json({"id": event_id, "found": False}, 404)
    return _json({"id": event_id, "found": True, "event": row})


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Echo: every text or binary message is sent back unchanged."""
    state = request.app[STATE]
    ws = web.WebSocketResponse(heartbeat=30)
    ws.headers["X-App-Version"] = state.cfg.version
    await ws.prepare(request)
    state.websockets.add(ws)
    metrics.WEBSOCKETS.inc()
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
    finally:
        state.websockets.discard(ws)
        metrics.WEBSOCKETS.dec()
    return ws


async def _on_startup(app: web.Application) -> None:
    await app[STATE].deps.start()


async def _on_shutdown(app: web.Application) -> None:
    """Runs once the listener is closed: let requests finish, then close the WebSockets."""
    state = app[STATE]
    log.info("shutdown: no new connections; %d request(s) in flight, %d WebSocket(s) open",
             state.in_flight, len(state.websockets))
    if state.in_flight:
        try:
            await asyncio.wait_for(state.idle.wait(), timeout=state.cfg.shutdown_timeout)
        except asyncio.TimeoutError:
            log.warning("shutdown: %d request(s) still in flight after %g s", state.in_flight, state.cfg.shutdown_timeout)
    for ws in list(state.websockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
    log.info("shutdown: done")


async def _on_cleanup(app: web.Application) -> None:
    await app[STATE].deps.close()


def create_app(cfg: Config) -> web.Application:
    """The aiohttp application with every route."""
    app = web.Application(middlewares=[frame], client_max_size=MAX_BODY)
    state = State(cfg=cfg, deps=Deps(cfg))
    state.idle.set()
    app[STATE] = state
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    app.router.add_get("/health", health)
    # The same answers under the prefixes nginx forwards as they are (/api/ and /ws/): a smoke test through nginx
    # reaches the app's health, and a WebSocket route of nginx reaches the echo.
    app.router.add_get("/api/health", health)
    app.router.add_get("/version", version)
    app.router.add_get("/metrics", render_metrics)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/ws/{path:.*}", websocket)
    app.router.add_get("/api/ping", ping)
    app.router.add_get("/api/sleep", sleep)
    app.router.add_post("/api/items", create_item)
    app.router.add_get("/api/items/{id}", get_item)
    app.router.add_get("/api/search", search)
    app.router.add_put("/api/objects/{key:.+}", put_object)
    app.router.add_get("/api/objects/{key:.+}", get_object)
    app.router.add_get("/api/events/{id}", get_event)
    return app


def run(cfg: Config) -> int:
    """Serve on 0.0.0.0:PORT until SIGTERM/SIGINT; return the exit code."""
    metrics.set_info(cfg.version, "web", cfg.fault)
    log.info("web: version %s on port %d; dependencies %s (required: %s)%s", cfg.version, cfg.port,
             ", ".join(cfg.configured()) or "none", ", ".join(sorted(cfg.required)) or "none",
             f"; DEMO_FAULT={cfg.fault}" if cfg.fault else "")
    web.run_app(create_app(cfg), host="0.0.0.0", port=cfg.port, shutdown_timeout=cfg.shutdown_timeout,
                print=None, access_log=logging.getLogger("demo_app.access"),
                access_log_format='%a "%r" %s %b %Tfs')
    return 0
