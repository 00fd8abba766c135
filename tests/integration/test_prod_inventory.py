"""The production inventory, as shipped, publishes the edge proxy's 80 and 443 and nothing else.

A real run of the prod inventory's stack (every check, the files rendered) with a filled-in vault, turned
into the compose document the benchmark uses: the same container descriptions the deploy runs.
"""

from __future__ import annotations

import json
import os
import subprocess

import yaml
from conftest import ROOT

VAULT_SECRETS = ("vault_postgres_superuser_password", "vault_postgres_app_password", "vault_redis_password",
                 "vault_minio_root_password", "vault_minio_app_secret_key")


def _certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate and its key, as vault would hold them."""
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=app1.example.internal",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert.read_text(), key.read_text()


def test_prod_publishes_only_the_edge_proxy(tmp_path):
    cert, key = _certificate(tmp_path)
    vault = {name: f"{name}-strong-secret-x9" for name in VAULT_SECRETS}
    vault.update(vault_postgres_tls_cert=cert, vault_postgres_tls_key=key, vault_nginx_tls_cert=cert, vault_nginx_tls_key=key,
                 # Run on this machine instead of the example host, with files in the test's own directory.
                 ansible_connection="local", ansible_python_interpreter="/usr/bin/python3",
                 appstack_config_root=str(tmp_path / "etc"), compose_file=str(tmp_path / "compose.yml"))
    extra_vars = tmp_path / "vault.json"
    extra_vars.write_text(json.dumps(vault))
    result = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories/prod"), str(ROOT / "playbooks/compose.yml"), "-e", f"@{extra_vars}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    services = yaml.safe_load((tmp_path / "compose.yml").read_text())["services"]
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert published == {"appstack-nginx": ["80:8080/tcp", "443:8443/tcp"]}, published
    # The stack-wide service list (playbooks/group_vars/all) reaches the playbooks in playbooks/.
    assert {name.split("-")[1] for name in services} == {"postgres", "redis", "nginx", "minio"}, sorted(services)
    # Secrets reached the files, never the compose document (environment or command lines).
    document = (tmp_path / "compose.yml").read_text()
    assert not any(secret in document for secret in vault.values() if "strong-secret" in str(secret))
