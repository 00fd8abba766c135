# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Atomic file writes and directory copies on the Docker host, shared by the modules that write files."""

from __future__ import annotations

import os
import shutil
import stat
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


def mirror(source: str, target: str) -> bool:
    """Make directory TARGET hold exactly the files of SOURCE (contents, owners, modes; the directory's own owner
    and mode too), each written atomically; files of TARGET that SOURCE lacks are removed. Returns whether
    anything changed. A missing SOURCE counts as empty."""
    changed = False
    wanted = {}
    if os.path.isdir(source):
        info = os.stat(source)
        if not os.path.isdir(target):
            os.makedirs(target)
            changed = True
        os.chown(target, info.st_uid, info.st_gid)
        os.chmod(target, stat.S_IMODE(info.st_mode))
        wanted = {name: os.path.join(source, name) for name in os.listdir(source) if os.path.isfile(os.path.join(source, name))}
    for name, path in sorted(wanted.items()):
        info = os.stat(path)
        with open(path, "rb") as handle:
            data = handle.read()
        destination = os.path.join(target, name)
        try:
            with open(destination, "rb") as handle:
                same = handle.read() == data
            current = os.stat(destination)
            same = same and (current.st_uid, current.st_gid, current.st_mode) == (info.st_uid, info.st_gid, info.st_mode)
        except OSError:
            same = False
        if not same:
            atomic_write(destination, data, info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
            changed = True
    if os.path.isdir(target):
        for name in sorted(os.listdir(target)):
            path = os.path.join(target, name)
            if name not in wanted and os.path.isfile(path):
                os.unlink(path)
                changed = True
    return changed


def remove_tree(path: str) -> bool:
    """Remove directory PATH and everything in it; returns whether it existed."""
    if not os.path.isdir(path):
        return False
    shutil.rmtree(path)
    return True
