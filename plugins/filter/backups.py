# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter backups_to_prune: which timestamped dumps to delete (documented in backups_to_prune.yml)."""

from __future__ import annotations

import os
import re

_STAMPED = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)\.[A-Za-z0-9.]+$")


def backups_to_prune(paths: list[str], names: list[str], keep: int) -> list[str]:
    """Paths beyond the newest KEEP per name; unfinished (.partial) dumps are neither kept nor counted."""
    keep = int(keep)
    if keep < 1:
        raise ValueError("keep must be at least 1")
    by_name = {name: [] for name in names}
    for path in paths:
        if path.endswith(".partial"):
            continue  # an unfinished dump is neither kept nor counted
        match = _STAMPED.match(os.path.basename(path))
        if match and match.group("name") in by_name:
            by_name[match.group("name")].append((match.group("stamp"), path))
    expired = []
    for dumps in by_name.values():
        expired.extend(path for _stamp, path in sorted(dumps, reverse=True)[keep:])
    return sorted(expired)


class FilterModule:
    """appstack.platform backup filters."""

    def filters(self) -> dict:
        return {"backups_to_prune": backups_to_prune}
