# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter nginx_zone: the rate-limit zone of a route (documented in nginx_zone.yml)."""

from __future__ import annotations

import re


def nginx_zone(route: dict) -> str:
    """A zone name for ROUTE's rate limit, derived from its path (/api/v1/ -> route_api_v1)."""
    return "route_" + (re.sub(r"[^A-Za-z0-9]+", "_", route["path"]).strip("_") or "root")


class FilterModule:
    """appstack.platform nginx filters."""

    def filters(self) -> dict:
        return {"nginx_zone": nginx_zone}
