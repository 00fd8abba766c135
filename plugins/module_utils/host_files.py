# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Atomic file writes on the Docker host, shared by the modules that write files."""

from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, data: bytes, owner: int = 0, group: int = 0, mode: int = 0o600) -> None:
    """Write DATA to PATH through a temporary file renamed into place; parents are created (root, 0755)."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".appstack-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chown(temporary, owner, group)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


#: The O(record) option of the provisioning modules (documented by the doc fragment appstack.platform.record).
RECORD_SPEC = dict(type="dict", options=dict(path=dict(type="path", required=True),
                                             content=dict(type="str", required=True)))


def write_record(record: dict | None) -> None:
    """Write the O(record) file, when asked for, once the declared state was applied."""
    if record:
        atomic_write(record["path"], record["content"].encode())
