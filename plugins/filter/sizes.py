"""Memory-size filters: parse "512m", "1GiB", "2g" and render PostgreSQL sizes."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: size_to_bytes
short_description: Parse a memory size such as 512m, 1g, 1GiB or 256MB into bytes
description:
  - Accepts an integer (bytes) or a number followed by an optional unit
    b, k, m, g, t with optional B / iB suffix (binary multiples, as Docker uses).
options:
  _input:
    description: The size.
    type: raw
    required: true
"""

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(value) -> int | None:
    """Return the size in bytes, or None when the value is not a size."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _SIZE_RE.match(value)
    if not match:
        return None
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit.lower()])


def size_to_bytes(value) -> int:
    parsed = parse_size(value)
    if parsed is None:
        raise AnsibleFilterError(
            f"{value!r} is not a size: use a number with an optional unit b, k, m, g or t (e.g. 512m, 2g)"
        )
    return parsed


def is_size(value) -> bool:
    return parse_size(value) is not None


def pg_size(value) -> str:
    """Render bytes as a PostgreSQL size in whole kB, MB or GB (the largest exact unit)."""
    size = size_to_bytes(value)
    kilobytes = max(size // 1024, 64)
    for unit, factor in (("GB", 1024**2), ("MB", 1024)):
        if kilobytes % factor == 0:
            return f"{kilobytes // factor}{unit}"
    return f"{kilobytes}kB"


class FilterModule:
    def filters(self):
        return {"size_to_bytes": size_to_bytes, "is_size": is_size, "pg_size": pg_size}
