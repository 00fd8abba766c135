"""Registry mode names the official image production pulls, through a mirror if asked."""

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _resolve(tmp_path, **variables):
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"appstack_image_source": "registry", **variables}))
    result = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-c", "local", "tests/integration/playbooks/image_ref.yml", "-e", f"@{extra}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return re.search(r"IMAGE_REF=(\S+?)[\"']?$", result.stdout, re.M).group(1)


@pytest.mark.parametrize("image, tag, registry, expected", [
    ("postgres", None, None, "docker.io/library/postgres:17"),
    ("redis", "8.0", "mirror.example.internal:5000", "mirror.example.internal:5000/library/redis:8.0"),
    ("prometheus", None, None, "docker.io/prom/prometheus:v3.13.5"),
    ("postgres", "16", None, "docker.io/library/postgres:16"),
])
def test_registry_reference(tmp_path, image, tag, registry, expected):
    variables = {"image_factory_image": image}
    if tag:
        variables["image_factory_requested_tag"] = tag
    if registry:
        variables["appstack_registry"] = registry
    assert _resolve(tmp_path, **variables) == expected
