"""Grafana as the role describes it, where no Grafana image exists: the files and the container, rendered for real.

The role's templates and container description go through the same Stack and plan the deploy uses; the files
are checked against Grafana's documented provisioning format (administration/provisioning: ``apiVersion: 1``,
``datasources`` and dashboard ``providers`` with the keys listed there), the container against what the official
image needs (uid 472, ``GF_*`` settings, ``__FILE`` secrets, health on ``/api/health``).
"""

from __future__ import annotations

import json

import pytest
import yaml
from test_prometheus_targets import plan_of, stack_of

from ansible_collections.appstack.platform.plugins.module_utils import containers
from ansible_collections.appstack.platform.plugins.plugin_utils import deploy

ARCHIVE = {"appstack_image_sources": {"grafana": "archive"}}
#: Keys Grafana's provisioning documentation lists for a datasource and for a dashboard provider.
DATASOURCE_KEYS = {"name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth", "basicAuthUser",
                   "withCredentials", "isDefault", "jsonData", "secureJsonData", "version", "editable"}
PROVIDER_KEYS = {"name", "orgId", "folder", "folderUid", "type", "disableDeletion", "updateIntervalSeconds",
                 "allowUiUpdates", "options"}


def grafana(**variables) -> dict:
    errors, planned = plan_of(**{**ARCHIVE, **variables})
    assert errors == []
    return planned["appstack-grafana"]


def check_datasources(document: dict) -> list[dict]:
    assert document["apiVersion"] == 1 and set(document) <= {"apiVersion", "datasources", "deleteDatasources"}
    for source in document["datasources"]:
        assert set(source) <= DATASOURCE_KEYS, set(source) - DATASOURCE_KEYS
        assert source["name"] and source["type"] and source["access"] in ("proxy", "direct")
        assert isinstance(source.get("isDefault", False), bool) and isinstance(source.get("jsonData", {}), dict)
    return document["datasources"]


def check_providers(document: dict) -> list[dict]:
    assert document["apiVersion"] == 1 and set(document) == {"apiVersion", "providers"}
    for provider in document["providers"]:
        assert set(provider) <= PROVIDER_KEYS, set(provider) - PROVIDER_KEYS
        assert provider["name"] and provider["type"] == "file" and provider["options"]["path"].startswith("/")
        assert isinstance(provider["updateIntervalSeconds"], int) and isinstance(provider["disableDeletion"], bool)
    return document["providers"]


def test_the_datasource_is_prometheus_of_the_stack_with_a_stable_uid():
    item = grafana()
    (source,) = check_datasources(yaml.safe_load(item["files"]["datasources.yaml"]))
    assert source == {"name": "Prometheus", "type": "prometheus", "uid": "appstack-prometheus", "access": "proxy",
                      "url": "http://prometheus:9090/prometheus", "isDefault": True, "editable": False,
                      "jsonData": {"httpMethod": "POST", "timeInterval": "15s"}}
    mounts = {m["target"]: m["source"] for m in item["args"]["mounts"]}
    assert mounts["/etc/grafana/provisioning/datasources/appstack.yaml"].endswith("/appstack-grafana/config/datasources.yaml")


def test_the_datasource_follows_the_route_prefix_and_the_uid_setting():
    item = grafana(prometheus_grafana_route_prefix="/", prometheus_grafana_datasource_uid="prom-main")
    (source,) = check_datasources(yaml.safe_load(item["files"]["datasources.yaml"]))
    assert source["url"] == "http://prometheus:9090" and source["uid"] == "prom-main"
    dashboard = json.loads(item["files"]["stack-overview.json"])
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"prom-main"}


def test_dashboards_come_from_files_in_the_directory_the_provider_reads(tmp_path):
    operator = tmp_path / "team.json"
    operator.write_text(json.dumps({"uid": "team", "title": "Team", "panels": [{"targets": [{"legendFormat": "{{job}}"}]}]}))
    item = grafana(prometheus_grafana_dashboards=[str(operator)])
    (provider,) = check_providers(yaml.safe_load(item["files"]["dashboards.yaml"]))
    assert provider["options"] == {"path": "/etc/grafana/dashboards/appstack", "foldersFromFilesStructure": False}
    assert provider["disableDeletion"] is True and provider["allowUiUpdates"] is False
    mounts = {m["target"]: m["source"] for m in item["args"]["mounts"]}
    base = "/etc/appstack/appstack-grafana/config"
    assert mounts["/etc/grafana/dashboards/appstack/stack-overview.json"] == f"{base}/stack-overview.json"
    assert mounts["/etc/grafana/dashboards/appstack/team.json"] == f"{base}/dashboard-team.json"
    assert mounts["/etc/grafana/provisioning/dashboards/appstack.yaml"] == f"{base}/dashboards.yaml"
    # The operator's file arrives as written: Grafana's own {{ }} are not Jinja.
    assert item["files"]["dashboard-team.json"] == operator.read_text()


def test_the_shipped_overview_shows_each_service_and_the_three_measures():
    dashboard = json.loads(grafana()["files"]["stack-overview.json"])
    assert dashboard["uid"] == "appstack-stack-overview" and dashboard["title"]
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs == ["up", "pg_up", "redis_up", "nginx_up", "sum(rate(nginx_http_requests_total[5m]))",
                     "sum(pg_stat_database_numbackends)", "max(pg_settings_max_connections)",
                     "redis_memory_used_bytes", "redis_memory_max_bytes"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_the_grafana_container_runs_as_472_with_its_password_as_a_file():
    item = grafana()
    args, env = item["args"], item["args"]["env"]
    assert args["user"] == "472:472" and args["read_only"] and args["cap_drop"] == ["ALL"]
    assert args["security_opts"] == ["no-new-privileges:true"] and args["memory"] == args["memory_swap"] == "384m"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/admin_password"
    assert item["secrets"] == {"admin_password": "appstack-dev-grafana"}
    assert "appstack-dev-grafana" not in json.dumps(args)
    assert {"type": "bind", "source": "/etc/appstack/appstack-grafana/secrets", "target": "/run/secrets",
            "read_only": True} in args["mounts"]
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false" and env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_USERS_ALLOW_ORG_CREATE"] == "false" and env["GF_SECURITY_ADMIN_USER"] == "admin"
    assert env["GF_SERVER_ROOT_URL"] == "http://localhost/grafana/" and env["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true"
    assert env["GF_SECURITY_COOKIE_SECURE"] == "false"
    assert args["healthcheck"]["test"] == ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/grafana/api/health"]
    assert {"type": "volume", "source": "appstack-grafana-data", "target": "/var/lib/grafana", "read_only": False} in args["mounts"]
    assert args["published_ports"] == ["127.0.0.1:3000:3000/tcp"] and args["networks"][0]["aliases"] == ["grafana"]


def test_grafana_at_the_root_over_https():
    env = grafana(prometheus_grafana_root_url="https://grafana.example.internal/")["args"]["env"]
    assert env["GF_SERVER_SERVE_FROM_SUB_PATH"] == "false" and env["GF_SECURITY_COOKIE_SECURE"] == "true"


def test_the_admin_password_step_reaches_grafana_on_the_project_network():
    stack, services = stack_of(**ARCHIVE)
    (step,) = deploy.configure_steps(stack, "prometheus_grafana")
    assert step["module"] == "appstack.platform.grafana_admin"
    assert step["args"] == {"container": "appstack-grafana", "network": "appstack", "path": "/grafana", "user": "admin",
                            "password": "appstack-dev-grafana", "previous_passwords": [],
                            "state_file": "/etc/appstack/appstack-grafana/state/admin-password", "timeout": 180}


@pytest.mark.parametrize("source, ref, pull", [("archive", "appstack/grafana:12.2", "never"),
                                               ("registry", "docker.io/grafana/grafana:12.2.0", "missing")])
def test_grafana_comes_from_its_own_source_while_the_factory_builds_the_rest(source, ref, pull):
    errors, planned = plan_of(appstack_image_sources={"grafana": source})
    assert errors == []
    assert (planned["appstack-grafana"]["image_ref"], planned["appstack-grafana"]["args"]["pull"]) == (ref, pull)
    assert (planned["appstack-prometheus"]["image_ref"], planned["appstack-prometheus"]["args"]["pull"]) == (
        "appstack/prometheus:3.13", "never")
    wanted = deploy.images_of(list(planned.values()))
    assert {"name": "grafana", "tag": "12.2", "source": source} in wanted
    assert {"name": "prometheus", "tag": "3.13", "source": "build"} in wanted
    assert deploy.image_look(stack_of()[0], wanted) == {"images": "appstack", "ca_dir": "/usr/local/share/ca-certificates"}


def test_a_service_role_can_name_the_source_of_all_its_images():
    errors, planned = plan_of(appstack_image_sources={"prometheus_grafana": "registry"})
    assert errors == []
    assert planned["appstack-prometheus"]["image_ref"] == "docker.io/prom/prometheus:v3.13.5"
    assert planned["appstack-grafana"]["image_ref"] == "docker.io/grafana/grafana:12.2.0"
    assert planned["appstack-postgres"]["image_ref"] == "appstack/postgres:17"


def test_build_mode_leaves_grafana_out_and_says_how_to_add_it_once():
    stack, services = stack_of()
    errors, planned = deploy.check_stack(stack, services)
    assert errors == [] and "appstack-grafana" not in {item["spec"]["name"] for item in planned}
    (notice,) = deploy.notices(stack, services)
    assert notice.startswith("Grafana was left out of this stack")
    assert "appstack_image_sources: {grafana: registry}" in notice and "docker save -o grafana-12.2.tar appstack/grafana:12.2" in notice
    assert deploy.endpoints(stack, services)["prometheus_grafana"][-1].startswith("Grafana: left out")


def test_grafana_forced_on_in_build_mode_is_refused_with_the_two_ways():
    errors, _ = plan_of(prometheus_grafana_grafana_enabled=True)
    (error,) = [e for e in errors if e.startswith("prometheus_grafana_grafana_enabled")]
    assert "the image factory cannot build grafana here" in error
    assert "registry mode for it" in error and "docker save" in error and "appstack_image_sources: {grafana: archive}" in error


def test_grafana_off_says_nothing_and_runs_nothing():
    stack, services = stack_of(prometheus_grafana_grafana_enabled=False)
    assert deploy.notices(stack, services) == []
    assert deploy.configure_steps(stack, "prometheus_grafana") == []


def test_prod_refuses_the_dev_grafana_password_and_a_published_grafana():
    errors, _ = plan_of(appstack_env="prod", appstack_publish_ports=False, prometheus_grafana_grafana_publish=True,
                        appstack_image_sources={"grafana": "registry"}, postgres_superuser_password="x" * 20,
                        redis_password="y" * 20, nginx_tls_enabled=True, nginx_tls_cert="-----BEGIN CERTIFICATE-----",
                        nginx_tls_key="-----BEGIN PRIVATE KEY-----")
    mine = sorted(e.split(":")[0] for e in errors if e.startswith("prometheus_grafana"))
    assert mine == ["prometheus_grafana_admin_password", "prometheus_grafana_grafana_publish"]


def test_the_secret_mount_is_what_the_shared_path_writes():
    item = grafana()
    layout = containers.mounts(item["spec"], "/etc/appstack")
    assert layout[-1] == {"type": "bind", "source": "/etc/appstack/appstack-grafana/secrets", "target": "/run/secrets",
                          "read_only": True}
