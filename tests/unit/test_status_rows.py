"""The status table's rows: what `playbooks/status.yml` prints and the exit code it decides."""

from __future__ import annotations

from ansible_collections.appstack.platform.plugins.filter.status import status_rows


def container(name: str, state: str, health: str, uptime: str = "Up 1 minute", role: str = "postgres",
              ports: list | None = None, image: str = "appstack/postgres:17", said: str = "", **labels: str) -> dict:
    """One entry as appstack.platform.project_containers lists it."""
    return {"name": name, "state": state, "health": health, "uptime": uptime, "image": image, "ports": ports or [],
            "health_output": said, "labels": {"org.appstack.project": "p", "org.appstack.role": role, **labels}}


def test_rows_show_health_uptime_and_published_ports_sorted_by_service():
    rows = status_rows([
        container("p-redis", "running", "healthy", "Up 3 minutes", role="redis", image="appstack/redis:8.0"),
        container("p-postgres", "running", "healthy", "Up 2 hours", ports=["127.0.0.1:5432->5432/tcp"]),
    ])
    assert [(r["service"], r["name"], r["health"], r["uptime"], r["ports"], r["ok"]) for r in rows] == [
        ("postgres", "p-postgres", "healthy", "Up 2 hours", "127.0.0.1:5432->5432/tcp", True),
        ("redis", "p-redis", "healthy", "Up 3 minutes", "-", True),
    ]


def test_unhealthy_stale_and_stopped_containers_are_not_ok_starting_and_unchecked_ones_are():
    rows = {r["name"]: r for r in status_rows([
        container("p-a", "running", "starting"),
        container("p-b", "running", "unhealthy", said="exit code 1: no route"),
        container("p-c", "exited", "-", "Exited (137) 2 minutes ago"),
        container("p-d", "running", "-"),
        container("p-e", "running", "stale", said="exit code 0: PONG"),
    ])}
    assert {name: (row["health"], row["ok"]) for name, row in rows.items()} == {
        "p-a": ("starting", True), "p-b": ("unhealthy", False), "p-c": ("exited", False), "p-d": ("-", True),
        "p-e": ("stale", False)}
    assert rows["p-c"]["uptime"] == "Exited (137) 2 minutes ago"
    assert rows["p-b"]["said"] == "exit code 1: no route"


def test_the_apps_version_is_shown_when_its_tag_does_not_show_it():
    rows = status_rows([
        container("p-app-web-blue-1", "running", "healthy", role="app", image="appstack/demo-app:1",
                  **{"org.appstack.app.version": "1"}),
        container("p-app-worker-1", "running", "healthy", role="app", image="registry/shop:latest",
                  **{"org.appstack.app.version": "2026.11.30"}),
    ])
    assert [r["image"] for r in rows] == ["appstack/demo-app:1", "registry/shop:latest (version 2026.11.30)"]
