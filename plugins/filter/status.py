# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter status_rows: the status table's rows from the project's containers (documented in status_rows.yml)."""

from __future__ import annotations

#: Health values a running container may have and still count as fine: ``starting`` comes right after a deploy,
#: which already ran the health check itself; ``-`` is a container without a health check.
_FINE = ("healthy", "starting", "-")


def status_rows(containers: list[dict]) -> list[dict]:
    """One row per container (``appstack.platform.project_containers``), sorted by service then name.

    ``ok`` is true when the container runs and its health is known and not failing: ``unhealthy`` and ``stale``
    (Docker stopped running its checks, so its status says nothing) are not.
    """
    rows = []
    for container in containers:
        labels = container.get("labels") or {}
        running = container.get("state") == "running"
        version = labels.get("org.appstack.app.version")
        image = container.get("image", "")
        health = container.get("health", "-") if running else container.get("state", "?")
        rows.append({
            "service": labels.get("org.appstack.role") or labels.get("org.appstack.service") or "-",
            "name": container.get("name", "?"),
            "image": f"{image} (version {version})" if version and not image.endswith(f":{version}") else image,
            "health": health,
            "uptime": container.get("uptime") or "-",
            "ports": ", ".join(container.get("ports") or []) or "-",
            "ok": running and health in _FINE,
            "said": (container.get("health_output") or "") if health == "unhealthy" else "",
        })
    return sorted(rows, key=lambda row: (row["service"], row["name"]))


class FilterModule:
    """appstack.platform status filter."""

    def filters(self) -> dict:
        return {"status_rows": status_rows}
