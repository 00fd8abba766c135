# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter status_rows: the status table's rows from Docker's container list (documented in status_rows.yml)."""

from __future__ import annotations

import re

_HEALTH = re.compile(r"\s*\((healthy|unhealthy|health: starting)\)\s*$")


def _ports(ports: list[dict]) -> str:
    """Published ports as Docker prints them (``127.0.0.1:5432->5432/tcp``), unpublished ones left out."""
    published = sorted({f"{p.get('IP', '')}:{p['PublicPort']}->{p['PrivatePort']}/{p.get('Type', 'tcp')}"
                        for p in ports or [] if p.get("PublicPort")})
    return ", ".join(published) or "-"


def status_rows(containers: list[dict]) -> list[dict]:
    """One row per container (``docker_host_info`` with ``verbose_output``), sorted by service then name.

    ``ok`` is true when the container runs and Docker does not call it unhealthy (``starting``, right after a
    deploy, is fine: the deploy already ran the health check itself).
    """
    rows = []
    for container in containers:
        labels = container.get("Labels") or {}
        status = container.get("Status") or ""
        match = _HEALTH.search(status)
        health = match.group(1).replace("health: ", "") if match else "-"
        running = container.get("State") == "running"
        version = labels.get("org.appstack.app.version")
        image = container.get("Image", "")
        rows.append({
            "service": labels.get("org.appstack.role") or labels.get("org.appstack.service") or "-",
            "name": (container.get("Names") or ["?"])[0].lstrip("/"),
            "image": f"{image} (version {version})" if version and not image.endswith(f":{version}") else image,
            "health": health if running else container.get("State", "?"),
            "uptime": _HEALTH.sub("", status) if running else status,
            "ports": _ports(container.get("Ports")),
            "ok": running and health != "unhealthy",
        })
    return sorted(rows, key=lambda row: (row["service"], row["name"]))


class FilterModule:
    """appstack.platform status filter."""

    def filters(self) -> dict:
        return {"status_rows": status_rows}
