"""Whether an image a test runs is on the Docker host: without it the test is skipped, or fails in the test
command (APPSTACK_REQUIRE_IMAGES=1), which builds every image first, so a skip there would hide a broken factory."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

import pytest

DOCKER = os.environ.get("DOCKER", "docker")


@cache
def docker_available() -> bool:
    """True if the docker CLI exists and the daemon answers (asked once)."""
    if shutil.which(DOCKER) is None:
        return False
    try:
        return subprocess.run([DOCKER, "version", "--format", "{{.Server.Version}}"],
                              capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def image_exists(ref: str) -> bool:
    """True if image REF exists locally."""
    return subprocess.run([DOCKER, "image", "inspect", ref], capture_output=True, timeout=30).returncode == 0


def require_image(ref: str) -> None:
    """Skip the calling test unless docker works and image REF exists locally; fail instead with
    APPSTACK_REQUIRE_IMAGES=1."""
    missing = pytest.fail if os.environ.get("APPSTACK_REQUIRE_IMAGES") == "1" else pytest.skip
    if not docker_available():
        missing(f"docker CLI/daemon not available (needed for {ref})")
    if not image_exists(ref):
        missing(f"image {ref} is not present; build it first: ansible-playbook playbooks/images.yml")
