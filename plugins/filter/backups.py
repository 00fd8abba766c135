"""Backup retention: which timestamped dumps to delete."""

from __future__ import annotations

import os
import re

DOCUMENTATION = r"""
name: backups_to_prune
short_description: Paths of C(<name>-<YYYYmmddTHHMMSSZ>.<ext>) files beyond the newest I(keep) per name
options:
  _input:
    description: Paths of existing backup files.
    type: list
    elements: str
    required: true
  names:
    description: Backup names (for example database names).
    type: list
    elements: str
  keep:
    description: How many of the newest backups to keep per name.
    type: int
"""

_STAMPED = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)\.[A-Za-z0-9.]+$")


def backups_to_prune(paths, names, keep):
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
    def filters(self):
        return {"backups_to_prune": backups_to_prune}
