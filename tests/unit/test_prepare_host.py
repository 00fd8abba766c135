"""prepare_host returns what it was asked about as it is, though its arguments hold secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import _collections_path

MODULE = "ansible_collections.appstack.platform.plugins.modules.prepare_host"


def run_module(args: dict) -> dict:
    """The module in a process of its own, as Ansible runs it, with ARGS; its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(_collections_path())}
    done = subprocess.run([sys.executable, "-m", MODULE], input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
                          capture_output=True, text=True, env=env, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_short_secret_does_not_garble_the_paths_and_names_it_returns(tmp_path: Path):
    """An access key 'app' (a secret of the app's wiring) once masked every 'app' in the returned paths, so the
    shared path saw no changed directory and never put the app's secrets live."""
    base = tmp_path / "proj-app-web-1"
    staged, live = base / "secrets.next", base / "secrets"
    live.mkdir(parents=True)
    owner = {"owner": os.getuid(), "group": os.getgid()}
    result = run_module({
        "secret_files": [{"path": str(staged / "S3_ACCESS_KEY"), "content": "app", **owner}],
        "files": [{"path": str(base / "config.next" / "app.conf"), "content": "user = app\n", "diff_against": str(base / "config" / "app.conf"), **owner}],
        "compare_dirs": [{"staged": str(staged), "live": str(live)}],
        "records": [{"path": str(base / "state" / "app-step.sha256"), "content": "x\n"}],
        "_ansible_diff": True,
    })
    assert result["dirs_differ"] == [str(live)]
    assert result["records_differ"] == [str(base / "state" / "app-step.sha256")]
    assert str(staged / "S3_ACCESS_KEY") in result["changed_paths"]
    assert "app" not in json.dumps(result["invocation"]), "the arguments, which hold the secrets, are not returned"
    assert result["diff"][0]["after"] == "user = ********\n", "what could show a secret is still masked"
    assert (staged / "S3_ACCESS_KEY").read_text() == "app"


def test_pruning_keeps_the_directories_described_and_removes_the_rest(tmp_path: Path):
    """The app's jobs/ directory: a job still described keeps its directory, one no longer described goes."""
    owner = {"owner": os.getuid(), "group": os.getgid()}
    jobs = tmp_path / "jobs"
    (jobs / "web-smoke" / "secrets").mkdir(parents=True)
    (jobs / "web-smoke" / "secrets" / "OLD").write_text("x")
    result = run_module({
        "directories": [{"path": str(jobs), **owner}, {"path": str(jobs / "web-migrate"), **owner},
                        {"path": str(jobs / "web-migrate" / "secrets"), "mode": "0700", **owner}],
        "secret_files": [{"path": str(jobs / "web-migrate" / "secrets" / "DATABASE_URL"), "content": "postgresql://x", **owner}],
        "prune": [str(jobs), str(jobs / "web-migrate"), str(jobs / "web-migrate" / "secrets")],
    })
    assert result["changed"] is True
    assert sorted(p.name for p in jobs.iterdir()) == ["web-migrate"]
    assert (jobs / "web-migrate" / "secrets" / "DATABASE_URL").read_text() == "postgresql://x"
    again = run_module({"directories": [{"path": str(jobs), **owner}, {"path": str(jobs / "web-migrate"), **owner},
                                        {"path": str(jobs / "web-migrate" / "secrets"), "mode": "0700", **owner}],
                        "secret_files": [{"path": str(jobs / "web-migrate" / "secrets" / "DATABASE_URL"),
                                          "content": "postgresql://x", **owner}],
                        "prune": [str(jobs), str(jobs / "web-migrate"), str(jobs / "web-migrate" / "secrets")]})
    assert again["changed"] is False
