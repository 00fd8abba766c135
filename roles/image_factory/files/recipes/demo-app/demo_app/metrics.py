"""Prometheus metrics (prometheus_client's default registry, text format on /metrics).

HTTP metrics are labelled by route template (``/api/items/{id}``), never by raw path, so their
number stays bounded.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter("http_requests", "HTTP requests answered, by method, route and status.",
                   ["method", "path", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer HTTP requests, by method, route and status.",
                    ["method", "path", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being answered.")
WEBSOCKETS = Gauge("demo_app_websocket_connections", "Open WebSocket connections on /ws.")
INFO = Gauge("demo_app_info", "Always 1; the labels tell the version, process and fault switch.",
             ["version", "process", "fault"])
DEPENDENCY_UP = Gauge("demo_app_dependency_up", "1 when the last health check of a dependency passed.",
                      ["dependency"])
ITEMS_CREATED = Counter("demo_app_items_created", "Items written by POST /api/items.")
EVENTS_PUBLISHED = Counter("demo_app_events_published", "Events acknowledged by Kafka (acks=all).")
EVENTS_CONSUMED = Counter("demo_app_worker_events", "Events handled by the worker, by result.", ["result"])


def set_info(version: str, process: str, fault: str) -> None:
    """Publish demo_app_info{version, process, fault} 1."""
    INFO.labels(version=version, process=process, fault=fault or "none").set(1)


def render() -> tuple[bytes, str]:
    """The exposition (body, content type)."""
    return generate_latest(), CONTENT_TYPE_LATEST
