"""Wiring across hosts comes from the inventory: move a service to another group and its consumers follow.

The roles are evaluated for real (the harness of test_prometheus_targets: each role's defaults, vars and
templates through Ansible's templar), each on the host the inventory places it on.
"""

from __future__ import annotations

import yaml
from test_prometheus_targets import deploy, stack_of

SERVICES = ["postgres", "redis", "nginx", "prometheus_grafana", "app"]
ADDRESSES = {"vm1": "10.9.0.11", "vm2": "10.9.0.12", "vm3": "10.9.0.13"}
#: The app's database and user, as inventories/dev declares them.
DATABASE = {"postgres_databases": [{"name": "app", "owner": "app"}],
            "postgres_users": [{"name": "app", "password": "appstack-dev-app", "privileges": [{"database": "app", "level": "all"}]}]}


def inventory(**groups: list[str]) -> dict:
    """Three hosts; every service on vm1 unless GROUPS places it, the app on vm2 and vm3."""
    placed = {"postgres": ["vm1"], "redis": ["vm1"], "nginx": ["vm1"], "prometheus_grafana": ["vm1"],
              "app": ["vm2", "vm3"], **groups}
    return {"groups": {"all": list(ADDRESSES), "docker_hosts": list(ADDRESSES), **placed},
            "hostvars": {host: {"appstack_private_address": address} for host, address in ADDRESSES.items()}, **DATABASE}


def on(host: str, **groups: list[str]):
    """The stack as HOST sees it."""
    stack, _ = stack_of(SERVICES, inventory_hostname=host, **inventory(**groups))
    return stack


def planned_on(host: str, services: list[str], **groups: list[str]) -> dict[str, dict]:
    stack = on(host, **groups)
    errors, planned = deploy.check_stack(stack, services)
    assert errors == []
    return {item["spec"]["name"]: item for item in planned}


def scrape_targets(**groups: list[str]) -> dict[str, list[str]]:
    prometheus = planned_on("vm1", ["prometheus_grafana"], **groups)["appstack-prometheus"]
    config = yaml.safe_load(prometheus["files"]["prometheus.yml"])
    return {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"] if "static_configs" in job}


def database_url(host: str, **groups: list[str]) -> str:
    return on(host, **groups).value("app_wiring")["postgres"]["secrets"]["DATABASE_URL"]


def test_the_app_on_another_host_reaches_postgres_at_its_private_address_and_follows_it():
    assert "@10.9.0.11:5432/" in database_url("vm2")
    assert "@10.9.0.12:5432/" in database_url("vm3", postgres=["vm2"])
    # on the app's own host: the alias on the project network, as on one host
    assert "@postgres:5432/" in database_url("vm2", postgres=["vm2"])
    assert on("vm2", redis=["vm3"]).value("app_wiring")["redis"]["env"] == {"REDIS_HOST": "10.9.0.13", "REDIS_PORT": "6379"}


def test_prometheus_scrapes_each_exporter_where_its_service_runs():
    assert scrape_targets()["postgres"] == ["postgres-exporter:9187"]
    assert scrape_targets(postgres=["vm2"])["postgres"] == ["10.9.0.12:9187"]
    assert scrape_targets(redis=["vm1", "vm3"])["redis"] == ["redis-exporter:9121", "10.9.0.13:9121"]


def test_a_service_other_hosts_reach_publishes_its_peer_ports_on_its_private_address_only():
    postgres = planned_on("vm1", ["postgres"], postgres=["vm1"])
    assert "10.9.0.11:5432:5432/tcp" in postgres["appstack-postgres"]["args"]["published_ports"]
    assert "10.9.0.11:9187:9187/tcp" in postgres["appstack-postgres-exporter"]["args"]["published_ports"]
    # every service on every host: nothing is published for peers
    alone = planned_on("vm1", ["postgres"], postgres=["vm1", "vm2", "vm3"], redis=["vm1", "vm2", "vm3"],
                       nginx=["vm1", "vm2", "vm3"], prometheus_grafana=["vm1", "vm2", "vm3"])
    assert not any(port.startswith("10.9.") for port in alone["appstack-postgres"]["args"]["published_ports"])


def test_the_app_wired_to_kafka_on_other_hosts_only_is_refused_until_kafka_clusters():
    services = ["kafka", "app"]
    stack, _ = stack_of(services, inventory_hostname="vm2", **inventory(kafka=["vm1"]))
    errors, _ = deploy.check_stack(stack, ["app"])
    assert [e for e in errors if "wired to Kafka" in e] == [
        "appstack_services: the app on vm2 is wired to Kafka, which the inventory places on other hosts only; Kafka "
        "advertises its name on the project network to clients, so add vm2 to the inventory group kafka or run the "
        "app on Kafka's hosts (inventory group app)"]
    stack, _ = stack_of(services, inventory_hostname="vm2", **inventory(kafka=["vm1", "vm2", "vm3"]))
    assert not [e for e in deploy.check_stack(stack, ["app"])[0] if "wired to Kafka" in e]


def test_the_firewall_of_a_host_lets_every_host_of_the_stack_reach_its_peer_ports_and_nothing_else():
    stack = on("vm1")
    errors, planned = deploy.check_stack(stack, ["postgres", "redis"])
    assert errors == []
    rules = deploy.peer_firewall(stack, planned)
    assert rules["sources"] == ["10.9.0.11", "10.9.0.12", "10.9.0.13"]
    assert {(p["address"], p["port"]) for p in rules["ports"]} == {
        ("10.9.0.11", 5432), ("10.9.0.11", 9187), ("10.9.0.11", 6379), ("10.9.0.11", 9121)}


def test_nginx_on_a_host_without_the_app_is_refused_until_the_app_is_published_for_other_hosts():
    errors, _ = deploy.check_stack(on("vm1"), ["nginx"])
    assert [e for e in errors if "routing to the app across hosts" in e] == [
        "appstack_services: nginx on vm1 would route to the app, which the inventory places on other hosts only; "
        "routing to the app across hosts is not built yet, so add vm1 to the inventory group app or run nginx on the "
        "app's hosts (inventory group nginx)"]
    assert not [e for e in deploy.check_stack(on("vm2", nginx=["vm2", "vm3"]), ["nginx"])[0] if "across hosts" in e]
