# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter config_file_for: a controller template as a container config file (documented in config_file_for.yml)."""

from __future__ import annotations


def config_file_for(path: str, mount_dir: str, prefix: str = "") -> dict:
    """A template on the controller rendered as a config file mounted in MOUNT_DIR."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    if base.endswith(".j2"):
        base = base[:-3]
    return {"name": f"{prefix}{base}", "template": path, "mount": f"{mount_dir}/{base}"}


class FilterModule:
    """appstack.platform container description filters."""

    def filters(self) -> dict:
        return {"config_file_for": config_file_for}
