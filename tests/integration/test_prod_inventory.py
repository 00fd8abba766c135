"""The production inventory with a vault written by `playbooks/secrets.yml`.

The secrets playbook makes what an operator encrypts: random secrets and certificates from a new CA. That vault,
as is, must satisfy every prod rule; a real run of the prod inventory's stack (every check, the files rendered)
turned into the compose document the benchmark uses - the container descriptions the deploy runs - publishes the
edge proxy's 80 and 443 and nothing else, and holds no secret.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

PASSWORDS = ("vault_postgres_superuser_password", "vault_postgres_app_password", "vault_redis_password",
             "vault_minio_root_password", "vault_minio_app_secret_key", "vault_kafka_admin_password",
             "vault_kafka_app_password", "vault_elasticsearch_password", "vault_elasticsearch_app_password",
             "vault_grafana_admin_password")
PROD = str(ROOT / "inventories/prod")
ENV = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}


def ansible(playbook: str, *args: str) -> subprocess.CompletedProcess:
    """ansible-playbook -i inventories/prod PLAYBOOK ARGS; all output in .stdout."""
    result = subprocess.run(["ansible-playbook", "-i", PROD, str(ROOT / playbook), *args],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, env=ENV)
    result.stdout += result.stderr
    return result


@pytest.fixture(scope="module")
def secrets(tmp_path_factory) -> tuple[dict, Path, str]:
    """The vault the secrets playbook writes, its directory, and what the playbook printed."""
    directory = tmp_path_factory.mktemp("prod") / "secrets"
    result = ansible("playbooks/secrets.yml", "-e", f"secrets_dir={directory}")
    assert result.returncode == 0, result.stdout[-4000:]
    return yaml.safe_load((directory / "vault.yml").read_text()), directory, result.stdout


def test_the_secrets_playbook_writes_strong_secrets_and_certificates_of_its_ca(secrets, tmp_path):
    vault, directory, output = secrets
    passwords = [vault[name] for name in PASSWORDS]
    assert all(len(p) == 32 and p.isalnum() for p in passwords) and len(set(passwords)) == len(passwords)
    assert not any(p in output for p in passwords) and "PRIVATE KEY" not in output
    assert stat.S_IMODE((directory / "vault.yml").stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / "ca.key").stat().st_mode) == 0o600
    for service, name in (("nginx", "app1.example.internal"), ("postgres", "postgres")):
        cert = tmp_path / f"{service}.crt"
        cert.write_text(vault[f"vault_{service}_tls_cert"])
        verified = subprocess.run(["openssl", "verify", "-CAfile", str(directory / "ca.crt"), "-verify_hostname", name,
                                   str(cert)], capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert vault[f"vault_{service}_tls_key"].startswith("-----BEGIN PRIVATE KEY-----")

    before = (directory / "vault.yml").read_bytes()
    again = ansible("playbooks/secrets.yml", "-e", f"secrets_dir={directory}")
    assert again.returncode != 0 and "without a vault.yml (it is never overwritten" in again.stdout, again.stdout[-4000:]
    assert (directory / "vault.yml").read_bytes() == before


def test_prod_with_that_vault_publishes_only_the_edge_proxy(secrets, tmp_path):
    vault, _directory, _output = secrets
    # Run on this machine instead of the example host, with files in the test's own directory.
    local = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
             "appstack_config_root": str(tmp_path / "etc"), "compose_file": str(tmp_path / "compose.yml")}
    extra_vars = tmp_path / "vars.json"
    extra_vars.write_text(json.dumps({**vault, **local}))
    result = ansible("playbooks/compose.yml", "-e", f"@{extra_vars}")
    assert result.returncode == 0, result.stdout[-4000:]

    services = yaml.safe_load((tmp_path / "compose.yml").read_text())["services"]
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert published == {"appstack-nginx": ["80:8080/tcp", "443:8443/tcp"]}, published
    # The whole stack, Grafana from the registry included (the prod inventory's service list).
    assert {name.split("-")[1] for name in services} == {
        "postgres", "redis", "kafka", "elasticsearch", "minio", "app", "nginx", "prometheus", "grafana"}, sorted(services)
    # Secrets reached the files, never the compose document (environment or command lines).
    document = (tmp_path / "compose.yml").read_text()
    assert not any(vault[name] in document for name in PASSWORDS)
    assert "PRIVATE KEY" not in document
