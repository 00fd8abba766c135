# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Memory-size filters: parse 512m, 1GiB, 2g and render PostgreSQL sizes (documented in the sibling .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.module_utils.sizes import parse_size


def size_to_bytes(value: object) -> int:
    """Bytes of a size; fails with the accepted forms when VALUE is not a size."""
    parsed = parse_size(value)
    if parsed is None:
        raise AnsibleFilterError(
            f"{value!r} is not a size: use a number with an optional unit b, k, m, g or t (e.g. 512m, 2g)"
        )
    return parsed


def is_size(value: object) -> bool:
    """True when VALUE parses as a size."""
    return parse_size(value) is not None


def pg_size(value: object) -> str:
    """Render bytes as a PostgreSQL size in whole kB, MB or GB (the largest exact unit)."""
    size = size_to_bytes(value)
    kilobytes = max(size // 1024, 64)
    for unit, factor in (("GB", 1024**2), ("MB", 1024)):
        if kilobytes % factor == 0:
            return f"{kilobytes // factor}{unit}"
    return f"{kilobytes}kB"


class FilterModule:
    """appstack.platform size filters."""

    def filters(self) -> dict:
        return {"size_to_bytes": size_to_bytes, "is_size": is_size, "pg_size": pg_size}
