"""A container description follows its schema: a misspelt, misplaced or mistyped key is refused, naming the role, the
container and the key's path, before anything changes; every shipped role's description follows it, and
docs/container-schema.md documents exactly its keys, types and defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_prometheus_targets import ROOT, containers, deploy, stack_of

from ansible_collections.appstack.platform.plugins.module_utils import container_schema

DOC = ROOT / "docs/container-schema.md"
BASE = {"name": "p-db", "image": "postgres", "healthcheck": {"test": ["CMD", "true"], "interval": "5s"}}


def refusal(extra: dict, role: str = "postgres") -> str:
    """The message normalize refuses BASE with EXTRA (its keys replacing BASE's) with."""
    with pytest.raises(containers.SpecError) as caught:
        containers.normalize({**BASE, **extra}, role)
    return str(caught.value)


def test_a_misspelt_key_is_refused_naming_role_container_and_key_with_the_known_ones():
    message = refusal({"memroy": "1g"})
    assert message.startswith("postgres: container p-db: unknown key 'memroy' (known: aliases, cap_add, ")
    assert ", memory, " in message


@pytest.mark.parametrize("extra, expected", [
    ({"ports": [{"container": 5432}, {"container": 80, "hots": 8080}]},
     "postgres: container p-db.ports[1]: unknown key 'hots' (known: container, host, protocol, var)"),
    ({"healthcheck": {"test": ["CMD", "true"], "retris": 3}},
     "postgres: container p-db.healthcheck: unknown key 'retris' (known: interval, retries, start_period, test, timeout)"),
    ({"volumes": [{"name": "p-data", "mount": "/data", "readonly": True}]},
     "postgres: container p-db.volumes[0]: unknown key 'readonly' (known: mount, name, path, read_only)"),
    ({"config_files": [{"name": "a.conf", "template": "a.conf.j2", "mount_path": "/etc/a.conf"}]},
     "postgres: container p-db.config_files[0]: unknown key 'mount_path' (known: content, mode, mount, name, template)"),
    ({"reload": {"command": ["nginx", "-s", "reload"], "tset": ["nginx", "-t"]}},
     "postgres: container p-db.reload: unknown key 'tset' (known: command, entrypoint, test)"),
])
def test_a_misspelt_key_inside_a_key_is_named_with_its_path(extra, expected):
    assert refusal(extra) == expected


@pytest.mark.parametrize("extra, expected", [
    ({"cpus": "lots"}, "argument 'cpus' is of type str and we were unable to convert to float"),
    ({"memory": "lots"}, "argument 'memory' is of type str and we were unable to convert to size: 'lots' is not a size"),
    ({"read_only": "maybe"}, "argument 'read_only' is of type str and we were unable to convert to bool"),
    ({"env": ["A=1"]}, "argument 'env' is of type list and we were unable to convert to dict"),
    ({"ports": "5432"}, "Elements value for option 'ports' is of type str and we were unable to convert to dict"),
    ({"ports": [{"container": "http"}]}, "argument 'container' is of type str found in 'ports'. and we were unable to convert to int"),
    ({"ports": [{"container": 53, "protocol": "icmp"}]}, "value of protocol must be one of: tcp, udp, sctp, got: icmp"),
    # Docker refuses a duration without its unit, once the deploy has changed what came before.
    ({"healthcheck": {"test": ["CMD", "true"], "interval": 5}},
     "argument 'interval' is of type int found in 'healthcheck'. and we were unable to convert to duration"),
    ({"healthcheck": "CMD true"}, "argument 'healthcheck' is of type str and we were unable to convert to dict"),
    ({"volumes": [{"mount": "/data"}]}, "one of the following is required: name, path found in volumes"),
    ({"config_files": [{"name": "a", "template": "a.j2", "content": "x"}]},
     "parameters are mutually exclusive: template|content found in config_files"),
    ({"reload": {"test": ["nginx", "-t"]}}, "missing required arguments: command found in reload"),
])
def test_a_value_of_the_wrong_type_or_shape_is_refused_with_the_container_named(extra, expected):
    message = refusal(extra)
    assert message.startswith("postgres: container p-db: ") and expected in message
    # One mistake, one message: not again as no_log or sub-option noise.
    assert "; " not in message


def test_every_problem_of_a_description_is_named_at_once():
    message = refusal({"memroy": "1g", "cpus": "lots", "healthcheck": {"test": ["CMD", "true"], "retris": 3}})
    assert "container p-db: unknown key 'memroy'" in message
    assert "container p-db.healthcheck: unknown key 'retris'" in message
    assert "argument 'cpus'" in message


def test_the_shared_path_sets_role_itself():
    assert refusal({"role": "redis"}).startswith("postgres: container p-db: unknown key 'role'")
    assert containers.normalize(dict(BASE), "postgres")["role"] == "postgres"


def test_a_description_gets_the_defaults_of_the_schema_and_nothing_is_converted():
    spec = containers.normalize({**BASE, "cpus": "0.5", "uid": 70}, "postgres")
    assert {key: spec[key] for key in containers.CONTAINER_DEFAULTS if key != "cpus"} == {
        "pull": False, "read_only": False, "publish": True, "edge": False, "healthy_timeout": 180, "memory": "512m",
        "pids_limit": 512, "init": False}
    # The values stay as written: the container's options (and their hash) are what they were before the schema.
    assert spec["cpus"] == "0.5" and spec["gid"] == 70


STACK = {"project": "p", "network": "p", "config_root": "/etc/appstack", "publish_ports": True,
         "publish_address": "127.0.0.1", "restart_policy": "unless-stopped", "log_max_size": "10m",
         "log_max_files": 3, "stop_timeout": 30, "pull": "never"}


def test_the_documented_defaults_of_ports_volumes_and_files_are_what_a_container_gets():
    options = container_schema.OPTIONS
    spec = containers.normalize({**BASE, "ports": [{"container": 5432}], "volumes": [{"name": "v", "mount": "/v"}],
                                 "config_files": [{"name": "a.conf", "content": "x"}]}, "postgres")
    args = containers.docker_container_args(spec, STACK, "i", "h")
    assert args["published_ports"] == [f"127.0.0.1:5432:5432/{options['ports']['options']['protocol']['default']}"]
    assert args["mounts"][0]["read_only"] is options["volumes"]["options"]["read_only"]["default"]
    layout = deploy.file_layout({"spec": spec, "files": {"a.conf": "x"}, "secrets": {}}, {"config": "/c", "secrets": "/s"}, 0, 0)
    assert layout["files"][0]["mode"] == options["config_files"]["options"]["mode"]["default"]


def test_a_teams_own_role_with_a_misspelt_key_is_refused_by_the_stack_check(tmp_path):
    """The preflight (check_stack) over a role on the playbook's roles/ path: the role and the key are named, and no
    plan comes back - nothing would be deployed."""
    role = tmp_path / "roles/shop"
    (role / "vars").mkdir(parents=True)
    (role / "tasks").mkdir()
    (role / "vars/main.yml").write_text(yaml.safe_dump({"shop_containers": [{**BASE, "name": "shop-api", "memroy": "1g"}]}))
    stack, services = stack_of(["shop"], playbook_dir=str(tmp_path))
    errors, planned = deploy.check_stack(stack, services)
    assert planned == []
    assert [e for e in errors if "memroy" in e] == [
        "shop: container shop-api: unknown key 'memroy' (known: " + ", ".join(sorted(container_schema.OPTIONS)) + ")"]


#: Settings that describe more containers or more keys than the defaults: exporters, Grafana, TLS, SASL, files.
VARIANTS = {
    "defaults": {},
    "everything_on": {
        "postgres_exporter_enabled": True, "redis_exporter_enabled": True, "nginx_exporter_enabled": True,
        "prometheus_grafana_grafana_enabled": True, "postgres_tls_enabled": True, "nginx_tls_enabled": True,
        "kafka_sasl_enabled": True, "nginx_static_path": "/srv/static", "postgres_init_scripts": ["/srv/init.sql.j2"],
        # A team's image pulled by reference, its user, volumes and a worker beside the web process.
        "app_components": [{
            "name": "api", "image": "registry.example.com/shop/api", "version": "41", "pull": True, "uid": 1000, "gid": 1000,
            "volumes": [{"name": "uploads", "path": "/data/uploads", "writer": "web"}], "env": {"MODE": "api"},
            "secrets": {"TOKEN": "t"}, "healthcheck": {"test": ["CMD", "true"], "interval": "5s"},
            "processes": [{"name": "web", "command": ["web"], "ports": {"http": 8000}, "memory": "256m", "cpus": 0.5},
                          {"name": "worker", "command": ["worker"], "replicas": 2,
                           "volumes": [{"name": "scratch", "path": "/scratch"}], "read_only": False}]}],
    },
    "nothing_published": {"appstack_publish_ports": False, "elasticsearch_security_enabled": False,
                          "prometheus_grafana_grafana_enabled": False},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("role", deploy.service_roles())
def test_every_shipped_role_describes_its_containers_by_the_schema(role, variant):
    stack, _ = stack_of([role], **VARIANTS[variant])
    described = stack.value(f"{role}_containers")
    assert described, f"{role} describes no container"
    for spec in described:
        assert container_schema.problems(spec, f"container {spec['name']}") == []
    assert [spec["role"] for spec in stack.container_specs(role)] == [role] * len(described)


# -- the reference page --------------------------------------------------------------------------------------

def flatten(options: dict, prefix: str = "") -> dict[str, dict]:
    """Every key of the schema by its path in the page: ``memory``, ``healthcheck.test``, ``ports[].container``."""
    found = {}
    for key, option in options.items():
        path = f"{prefix}{key}"
        found[path] = option
        if option.get("options"):
            below = f"{path}[]." if option.get("type") == "list" else f"{path}."
            found.update(flatten(option["options"], below))
    return found


def shown(value: Any) -> str:
    """A default as YAML writes it."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def facts(option: dict) -> str:
    """The line under a key's heading: its type, whether it is required, its default, its choices."""
    kind = option["type"] if isinstance(option["type"], str) else option["type"].__name__
    parts = [f"`{kind}`" + (f" of `{option['elements']}`" if option.get("elements") else "")]
    if option.get("required"):
        parts.append("required")
    if "default" in option:
        parts.append(f"default `{shown(option['default'])}`")
    if option.get("choices"):
        parts.append("one of " + ", ".join(f"`{choice}`" for choice in option["choices"]))
    return " · ".join(parts)


def documented() -> dict[str, str]:
    """Every key the page explains (a heading naming it) and the line under its heading."""
    lines = DOC.read_text().splitlines()
    return {match.group(1): lines[index + 1] for index, line in enumerate(lines)
            if (match := re.fullmatch(r"#{3,4} `([^`]+)`", line))}


def test_the_reference_explains_every_key_of_the_schema_and_no_other():
    schema, page = set(flatten(container_schema.OPTIONS)), set(documented())
    assert sorted(schema - page) == [], "keys of the schema missing from docs/container-schema.md"
    assert sorted(page - schema) == [], "keys in docs/container-schema.md the schema does not have"


def test_the_reference_gives_the_type_requirement_and_default_of_the_schema():
    page = documented()
    wrong = {path: (page[path], facts(option)) for path, option in flatten(container_schema.OPTIONS).items()
             if path in page and page[path] != facts(option)}
    assert wrong == {}, "docs/container-schema.md (left) disagrees with the schema (right)"


def test_every_example_of_the_reference_is_valid_yaml():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) > len(flatten(container_schema.OPTIONS))
    for block in blocks:
        yaml.safe_load(block)
