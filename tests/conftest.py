"""Shared test setup: the checkout importable as the collection ``ansible_collections.appstack.platform``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _collections_path() -> Path:
    """``.cache/collections`` (made by scripts/bootstrap), or a temporary link tree when it is missing."""
    cached = ROOT / ".cache" / "collections"
    if (cached / "ansible_collections" / "appstack" / "platform").exists():
        return cached
    tree = Path(tempfile.mkdtemp(prefix="appstack-collections-"))
    (tree / "ansible_collections" / "appstack").mkdir(parents=True)
    (tree / "ansible_collections" / "appstack" / "platform").symlink_to(ROOT)
    return tree


sys.path.insert(0, str(_collections_path()))
