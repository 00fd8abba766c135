"""ansible-doc documents every plugin and every role of the collection.

Runs against whatever collection ANSIBLE_COLLECTIONS_PATH resolves (the checkout by default; the
test command also runs it against the installed tarball, so a doc file missing from the build fails).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"


def _importable_collection() -> None:
    """Make ``ansible_collections.appstack.platform`` importable from ANSIBLE_COLLECTIONS_PATH.

    The test may run outside the checkout (against the installed tarball), where the checkout's
    conftest.py is not loaded; the filter files import the collection's module_utils.
    """
    for entry in reversed(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)):
        if entry and (Path(entry) / "ansible_collections" / "appstack" / "platform").exists():
            sys.path.insert(0, entry)


def _filters() -> list[str]:
    _importable_collection()
    names = []
    for path in sorted((PLUGINS / "filter").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"appstack_filter_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names.extend(module.FilterModule().filters())
    return sorted(names)


DOCUMENTED = (
    [("module", p.stem) for p in sorted((PLUGINS / "modules").glob("*.py"))]
    + [("lookup", p.stem) for p in sorted((PLUGINS / "lookup").glob("*.py"))]
    + [("filter", name) for name in _filters()]
    + [("role", p.name) for p in sorted((ROOT / "roles").iterdir()) if (p / "meta" / "argument_specs.yml").exists()]
)


def test_every_action_plugin_has_its_documentation_module():
    actions = {p.stem for p in (PLUGINS / "action").glob("*.py")}
    modules = {p.stem for p in (PLUGINS / "modules").glob("*.py")}
    assert actions <= modules, f"actions without documentation: {sorted(actions - modules)}"


@functools.cache
def _ansible_doc(kind: str) -> tuple[dict, str]:
    """What ``ansible-doc --json`` says of every documented plugin of KIND, in one run (one run per plugin cost
    most of this file's time): the entries by full name, and what it printed on stderr (a plugin it could not
    document is missing from the entries and named there)."""
    names = [f"appstack.platform.{name}" for doc_kind, name in DOCUMENTED if doc_kind == kind]
    result = subprocess.run(["ansible-doc", "--json", "-t", kind, *names], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("kind, name", DOCUMENTED, ids=[f"{k}:{n}" for k, n in DOCUMENTED])
def test_ansible_doc_documents(kind, name):
    entries, stderr = _ansible_doc(kind)
    assert f"appstack.platform.{name}" in entries, stderr[-2000:]
    entry = entries[f"appstack.platform.{name}"]
    doc = entry.get("doc") or entry.get("entry_points", {}).get("main") or {}
    assert doc.get("short_description") or doc.get("description"), f"{kind} {name} has no description: {entry}"
    if kind == "role":
        assert entry["entry_points"]["main"].get("options") is not None
