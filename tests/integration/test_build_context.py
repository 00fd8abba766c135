"""A component built from a context: a changed context under the same tag is refused before any container changes,
and a new version builds and rolls it out (docs/build-context.md).

The app runs alone (apply_role.yml, role app) with one worker built from a tiny context on the base image the image
factory makes, so a build takes about a second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import inspect, project_state, remove_project, run_playbook, unique_project

ROLE = "tests/integration/playbooks/apply_role.yml"
BASE = "appstack/base:trixie"
LABEL = "org.appstack.app.context"
WORKER = "trap 'exit 0' TERM; while :; do sleep 1; done"


def have_image(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0


@pytest.fixture
def app(tmp_path: Path):
    if not have_image(BASE):
        pytest.skip(f"needs {BASE} (the image factory builds it: playbooks/images.yml)")
    project = unique_project("buildctx")
    context = tmp_path / "api"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {BASE}\nCOPY hello.txt /hello.txt\n")
    (context / "hello.txt").write_text("one\n")
    (context / ".dockerignore").write_text("*.log\n")
    variables = {
        "role_under_test": "app", "appstack_project": project, "appstack_services": ["app"],
        "app_components": [{
            "name": "api", "build": {"context": str(context)}, "uid": 65534,
            "healthcheck": {"test": ["CMD", "test", "-f", "/hello.txt"], "interval": "1s", "timeout": "2s",
                            "retries": 3, "start_period": "5s"},
            # A worker that ends on SIGTERM at once (a replaced one is not waited for until it is killed).
            "processes": [{"name": "worker", "command": ["sh", "-c", WORKER], "replicas": 1}]}],
    }
    try:
        yield variables, context
    finally:
        remove_project(project)
        for version in ("1", "2"):
            subprocess.run(["docker", "image", "rm", "-f", f"{project}/api:{version}"], capture_output=True, timeout=60)


def test_a_changed_context_is_refused_until_a_new_version_rolls_it_out(app, tmp_path):
    variables, context = app
    project = variables["appstack_project"]
    worker = f"{project}-api-worker-1"

    first = run_playbook(ROLE, variables, tmp_path)
    assert first.returncode == 0, first.stdout[-4000:]
    built = inspect(f"{project}/api:1")["Config"]["Labels"][LABEL]
    assert len(built) == 64
    assert inspect(worker)["Config"]["Image"] == f"{project}/api:1"

    # A file the build leaves out (.dockerignore) changes nothing: the same tag is deployed again as it is.
    (context / "debug.log").write_text("noise\n")
    before = project_state(project)
    same = run_playbook(ROLE, variables, tmp_path)
    assert same.returncode == 0 and "changed=0" in same.stdout, same.stdout[-4000:]
    assert project_state(project) == before

    # A file the build sends changed, the version did not: refused, naming the component, before anything changes.
    (context / "hello.txt").write_text("two\n")
    refused = run_playbook(ROLE, variables, tmp_path)
    said = " ".join(refused.stdout.split())
    assert refused.returncode != 0, refused.stdout[-4000:]
    assert (f"app_components: api was built as {project}/api:1 from {context}, whose content changed since; "
            "set a new version (app_version or the component's version) to roll it out") in said, refused.stdout[-4000:]
    assert project_state(project) == before
    assert inspect(f"{project}/api:1")["Config"]["Labels"][LABEL] == built

    # A new version builds the changed context under its own tag, labelled with the new hash, and rolls it out.
    rolled = run_playbook(ROLE, {**variables, "app_version": "2"}, tmp_path)
    assert rolled.returncode == 0, rolled.stdout[-4000:]
    assert inspect(worker)["Config"]["Image"] == f"{project}/api:2"
    assert inspect(f"{project}/api:2")["Config"]["Labels"][LABEL] not in ("", built)
    said = subprocess.run(["docker", "exec", worker, "cat", "/hello.txt"], capture_output=True, text=True, check=True)
    assert said.stdout == "two\n"

    # A rollback redeploys the kept image as it is: its context is not checked.
    back = run_playbook("playbooks/app_rollback.yml", {**variables, "app_rollback_version": "1"}, tmp_path)
    assert back.returncode == 0, back.stdout[-4000:]
    assert inspect(worker)["Config"]["Image"] == f"{project}/api:1"


def test_an_image_built_without_the_label_is_not_checked(app, tmp_path):
    """An image built before the label existed (or by hand) is deployed as it is, whatever its context holds now."""
    variables, context = app
    project = variables["appstack_project"]
    subprocess.run(["docker", "build", "-q", "-t", f"{project}/api:1", str(context)], capture_output=True, check=True, timeout=300)
    (context / "hello.txt").write_text("changed after the build\n")
    result = run_playbook(ROLE, variables, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert LABEL not in (inspect(f"{project}/api:1")["Config"]["Labels"] or {})
    assert inspect(f"{project}-api-worker-1")["Config"]["Image"] == f"{project}/api:1"
