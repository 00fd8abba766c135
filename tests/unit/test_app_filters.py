"""The app role's description: containers per slot and tier, nginx upstreams, wiring, jobs, images, metrics."""

from __future__ import annotations

import pytest
from ansible_collections.appstack.platform.plugins.filter import app

HEALTH = {"test": ["CMD", "demo-app", "health"]}
COMPONENTS = [
    {"name": "app", "image": "demo-app", "uid": 10001, "healthcheck": HEALTH, "migrate": ["migrate"], "smoke": ["smoke"],
     "processes": [{"name": "web", "command": ["web"], "replicas": 2, "port": 8000},
                   {"name": "worker", "command": ["worker"], "replicas": 1, "metrics_port": 8000}]},
    {"name": "front", "build": {"context": "/srv/front"}, "version": "7", "healthcheck": HEALTH,
     "processes": [{"name": "web", "command": ["serve"], "port": 3000}]},
]
CONF = {"project": "p", "version": "1", "slot": "green", "tier": "all", "env": {"A": "1"}, "secrets": {"S": "x"},
        "memory": "256m", "cpus": 0.5, "healthy_timeout": 60}


def names(containers: list[dict]) -> list[str]:
    return [c["name"] for c in containers]


def test_web_replicas_run_in_the_slot_and_other_processes_outside_it():
    containers = app.app_containers(COMPONENTS, CONF)
    assert names(containers) == ["p-app-web-green-1", "p-app-web-green-2", "p-app-worker-1", "p-front-web-green-1"]
    web, worker = containers[0], containers[2]
    assert web["aliases"] == ["app-web-green"] and worker["aliases"] == ["app-worker"]
    assert web["labels"][app.LABEL_SLOT] == "green" and worker["labels"][app.LABEL_SLOT] == ""
    assert web["uid"] == 10001 and web["secrets"] == {"S": "x"} and web["env"] == {"A": "1"}
    assert web["read_only"] and web["tmpfs"] == ["/tmp"] and web["healthcheck"] == HEALTH


def test_a_rollout_starts_only_the_web_processes():
    assert names(app.app_containers(COMPONENTS, {**CONF, "tier": "web"})) == [
        "p-app-web-green-1", "p-app-web-green-2", "p-front-web-green-1"]


def test_catalog_images_go_through_the_catalog_and_others_by_reference():
    containers = app.app_containers(COMPONENTS, CONF)
    assert containers[0]["image"] == "demo-app" and containers[0]["image_tag"] == "1" and "image_ref" not in containers[0]
    assert containers[3]["image_ref"] == "p/front:7" and containers[3]["pull"] is False
    assert app.app_images(COMPONENTS, "1", "p") == [
        {"component": "front", "repository": "p/front", "ref": "p/front:7", "build": {"context": "/srv/front"},
         "archive": "", "pull": False}]


def test_nginx_upstreams_follow_the_slot():
    assert app.app_upstreams(COMPONENTS, "blue") == {"app": {"servers": ["app-web-blue:8000"]},
                                                    "front": {"servers": ["front-web-blue:3000"]}}


WIRING = {"postgres": {"env": {"DB_HOST": "postgres"}, "secrets": {"DATABASE_URL": "postgresql://u:p@postgres/app"}},
          "redis": {"env": {"REDIS_HOST": "redis"}, "secrets": {"REDIS_URL": "redis://:p@redis:6379/0"}}}


def test_secrets_become_files_named_by_their_variable():
    runtime = app.app_runtime(WIRING, ["postgres"], {"DATABASE_URL": "DB_URL"}, {"MODE": "x"}, {"API_KEY": "k"}, True)
    assert runtime["env"] == {"DB_HOST": "postgres", "MODE": "x", "DB_URL_FILE": "/run/secrets/DB_URL",
                              "API_KEY_FILE": "/run/secrets/API_KEY"}
    assert runtime["secrets"] == {"DB_URL": "postgresql://u:p@postgres/app", "API_KEY": "k"}


def test_secrets_as_environment_when_the_app_cannot_read_files():
    runtime = app.app_runtime(WIRING, ["redis"], {}, {}, {}, False)
    assert runtime == {"env": {"REDIS_HOST": "redis", "REDIS_URL": "redis://:p@redis:6379/0"}, "secrets": {}}


def test_wired_names_include_the_file_twins():
    assert app.app_wired_names(WIRING, ["postgres"], {}) == ["DATABASE_URL", "DATABASE_URL_FILE", "DB_HOST"]


@pytest.mark.parametrize("url, expected", [("https://nginx:8443", "https://nginx:8443"), ("", "http://app-web-blue:8000")])
def test_smoke_tests_go_through_nginx_or_straight_to_the_new_slot(url, expected):
    jobs = app.app_jobs(COMPONENTS, "smoke", {**CONF, "url": url, "slot": "blue", "secrets_dir": "p-app"})
    assert [job["command"] for job in jobs] == [["smoke", expected]]
    assert jobs[0]["secrets_from"] == "p-app/app" and jobs[0]["uid"] == 10001


def test_migrations_run_the_new_image_and_static_jobs_fill_the_volume():
    conf = {**CONF, "secrets_dir": "p-app", "static_volume": "p-static"}
    components = [COMPONENTS[0], {**COMPONENTS[1], "migrate": ["migrate"], "static": ["collect", "/static"]}]
    migrations = app.app_jobs(components, "migrate", conf)
    assert [(j["name"], j.get("image_ref")) for j in migrations] == [("p-app-migrate", None), ("p-front-migrate", "p/front:7")]
    static = app.app_jobs(components, "static", conf)
    assert [j["name"] for j in static] == ["p-front-static"]
    assert static[0]["volumes"] == [{"name": "p-static", "mount": "/static"}]


def test_metrics_of_every_replica_in_both_slots():
    assert app.app_metrics(COMPONENTS[:1]) == [
        {"job": "app-web", "dns_names": ["app-web-blue", "app-web-green"], "port": 8000, "metrics_path": "/metrics"},
        {"job": "app-worker", "dns_names": ["app-worker"], "port": 8000, "metrics_path": "/metrics"}]


def test_images_beyond_the_newest_kept_are_pruned_but_never_the_live_one():
    images = [{"RepoTags": ["p/front:1"], "Created": 100}, {"RepoTags": ["p/front:2"], "Created": 200},
              {"RepoTags": ["p/front:3"], "Created": 300}, {"RepoTags": ["p/front:4"], "Created": 400},
              {"RepoTags": ["q/api:9"], "Created": 50}]
    assert app.app_images_to_prune(images, ["p/front:4"], 2) == ["p/front:1", "p/front:2"]
    # A rollback to an old release keeps it live, whatever its age.
    assert app.app_images_to_prune(images, ["p/front:1"], 2) == ["p/front:2"]
