# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter nginx_zone: the rate-limit zone of a route (documented in nginx_zone.yml)."""

from __future__ import annotations

import re


def nginx_zone(route: dict) -> str:
    """A zone name for ROUTE's rate limit, derived from its path and rate (/api/v1/ at 10r/s -> route_api_v1_10r_s).

    With the rate in the name, a route held on its live release's rate while a rollout previews a new one has a zone
    of its own.
    """
    path = re.sub(r"[^A-Za-z0-9]+", "_", route["path"]).strip("_") or "root"
    rate = re.sub(r"[^A-Za-z0-9]+", "_", str((route.get("rate_limit") or {}).get("rate") or "")).strip("_")
    return f"route_{path}_{rate}" if rate else f"route_{path}"


class FilterModule:
    """appstack.platform nginx filters."""

    def filters(self) -> dict:
        return {"nginx_zone": nginx_zone}
