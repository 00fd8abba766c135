# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Memory sizes as Docker writes them: 512m, 1g, 1GiB, 256MB, or a number of bytes."""

from __future__ import annotations

import re

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(value: object) -> int | None:
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
