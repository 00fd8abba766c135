# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter plugin: content hash of an image recipe directory (documented in recipe_hash.yml)."""

from __future__ import annotations

import hashlib
import os

from ansible.errors import AnsibleFilterError

# Files that are never part of a recipe, whatever the working tree holds.
_IGNORED_NAMES = frozenset({".DS_Store"})
_IGNORED_DIRS = frozenset({"__pycache__", ".git"})


def recipe_files(path):
    """Return the sorted list of (relative posix path, absolute path) below PATH."""
    files = []
    for root, dirs, names in os.walk(path, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS)
        for name in names:
            if name in _IGNORED_NAMES or name.endswith(".pyc"):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            files.append((rel, full))
    files.sort()
    return files


def recipe_hash(path, *extras):
    """SHA-256 over the files of recipe directory PATH plus EXTRAS."""
    if not isinstance(path, str) or not path:
        raise AnsibleFilterError("recipe_hash: the input must be a directory path")
    path = os.path.expanduser(path)
    if not os.path.isdir(path):
        raise AnsibleFilterError("recipe_hash: recipe directory %s does not exist" % path)
    files = recipe_files(path)
    if not files:
        raise AnsibleFilterError("recipe_hash: recipe directory %s has no files" % path)

    digest = hashlib.sha256()
    digest.update(b"appstack-recipe-v1\0")
    for rel, full in files:
        with open(full, "rb") as handle:
            content = handle.read()
        # Length-prefixed framing: no two different trees hash alike.
        digest.update(b"file\0%d\0" % len(rel.encode("utf-8")))
        digest.update(rel.encode("utf-8"))
        digest.update(b"\0%d\0" % len(content))
        digest.update(content)
    for extra in extras:
        value = str(extra).encode("utf-8")
        digest.update(b"extra\0%d\0" % len(value))
        digest.update(value)
    return digest.hexdigest()


class FilterModule:
    """appstack.platform recipe filters."""

    def filters(self):
        return {"recipe_hash": recipe_hash}
