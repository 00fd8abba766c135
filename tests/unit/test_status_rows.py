"""The status table's rows: what `playbooks/status.yml` prints and the exit code it decides."""

from __future__ import annotations

from ansible_collections.appstack.platform.plugins.filter.status import status_rows


def container(name: str, state: str, status: str, role: str = "postgres", ports: list | None = None,
              image: str = "appstack/postgres:17", **labels: str) -> dict:
    """One entry as docker_host_info lists it with verbose_output."""
    return {"Names": [f"/{name}"], "State": state, "Status": status, "Image": image, "Ports": ports or [],
            "Labels": {"org.appstack.project": "p", "org.appstack.role": role, **labels}}


def test_rows_show_health_uptime_and_only_published_ports_sorted_by_service():
    rows = status_rows([
        container("p-redis", "running", "Up 3 minutes (healthy)", role="redis", image="appstack/redis:8.0"),
        container("p-postgres", "running", "Up 2 hours (healthy)", ports=[
            {"IP": "127.0.0.1", "PrivatePort": 5432, "PublicPort": 5432, "Type": "tcp"},
            {"PrivatePort": 9187, "Type": "tcp"}]),
    ])
    assert [(r["service"], r["name"], r["health"], r["uptime"], r["ports"], r["ok"]) for r in rows] == [
        ("postgres", "p-postgres", "healthy", "Up 2 hours", "127.0.0.1:5432->5432/tcp", True),
        ("redis", "p-redis", "healthy", "Up 3 minutes", "-", True),
    ]


def test_unhealthy_and_stopped_containers_are_not_ok_starting_and_unchecked_ones_are():
    rows = {r["name"]: r for r in status_rows([
        container("p-a", "running", "Up 1 second (health: starting)"),
        container("p-b", "running", "Up 10 minutes (unhealthy)"),
        container("p-c", "exited", "Exited (137) 2 minutes ago"),
        container("p-d", "running", "Up 4 days"),
    ])}
    assert {name: (row["health"], row["ok"]) for name, row in rows.items()} == {
        "p-a": ("starting", True), "p-b": ("unhealthy", False), "p-c": ("exited", False), "p-d": ("-", True)}
    assert rows["p-c"]["uptime"] == "Exited (137) 2 minutes ago"


def test_the_apps_version_is_shown_when_its_tag_does_not_show_it():
    rows = status_rows([
        container("p-app-web-blue-1", "running", "Up 1 minute (healthy)", role="app", image="appstack/demo-app:1",
                  **{"org.appstack.app.version": "1"}),
        container("p-app-worker-1", "running", "Up 1 minute (healthy)", role="app", image="registry/shop:latest",
                  **{"org.appstack.app.version": "2026.11.30"}),
    ])
    assert [r["image"] for r in rows] == ["appstack/demo-app:1", "registry/shop:latest (version 2026.11.30)"]
