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
    upstreams = app.app_upstreams(COMPONENTS, "blue")
    assert upstreams["app"] == upstreams["app.web"] == upstreams["app.web.http"] == {"servers": ["app-web-blue:8000"]}
    assert upstreams["front"] == {"servers": ["front-web-blue:3000"]}
    assert sorted(upstreams) == sorted(app.app_targets(COMPONENTS))


DUPLEX = {"name": "backend", "image": "r.example/backend", "healthcheck": HEALTH,
          "processes": [{"name": "api", "command": ["serve"], "ports": {"http": 3001, "ws": 3002}, "metrics_port": "http"},
                        {"name": "flower", "command": ["flower"], "ports": {"ui": 5555}}]}


def test_named_ports_are_routed_by_component_process_and_port():
    upstreams = app.app_upstreams([DUPLEX], "green")
    assert upstreams["backend.api.ws"] == {"servers": ["backend-api-green:3002"]}
    assert upstreams["backend.api"] == upstreams["backend.api.http"] == upstreams["backend"] == {
        "servers": ["backend-api-green:3001"]}
    assert upstreams["backend.flower"] == {"servers": ["backend-flower-green:5555"]}
    # Both are web processes: blue/green, in the slot.
    assert names(app.app_containers([DUPLEX], {**CONF, "tier": "web"})) == ["p-backend-api-green-1", "p-backend-flower-green-1"]
    assert app.app_metrics([DUPLEX])[0]["port"] == 3001


def test_only_what_runs_in_the_live_slot_is_an_upstream_there():
    live = app.app_upstreams([COMPONENTS[0], DUPLEX], "blue", ["app.web"])
    assert sorted(live) == ["app", "app.web", "app.web.http"]
    assert app.app_live_web([{"Labels": {app.LABEL_COMPONENT: "app", app.LABEL_PROCESS: "web", app.LABEL_SLOT: "blue"}},
                             {"Labels": {app.LABEL_COMPONENT: "app", app.LABEL_PROCESS: "worker", app.LABEL_SLOT: ""}},
                             {"Labels": {"other": "x"}}]) == ["app.web"]


MEDIA = {"name": "site", "image": "r.example/site", "uid": 1000, "healthcheck": HEALTH,
         "volumes": [{"name": "media", "path": "/srv/media", "writer": "web"}],
         "processes": [{"name": "web", "command": ["gunicorn"], "port": 8000},
                       {"name": "beat", "command": ["beat"], "volumes": [{"name": "beat", "path": "/var/lib/beat"}]}]}


def test_volumes_are_shared_with_one_writer_and_kept_per_component():
    web, beat = app.app_containers([MEDIA], CONF)
    assert web["volumes"] == [{"name": "p-site-media", "mount": "/srv/media", "read_only": False}]
    assert beat["volumes"] == [{"name": "p-site-media", "mount": "/srv/media", "read_only": True},
                               {"name": "p-site-beat", "mount": "/var/lib/beat", "read_only": False}]
    assert app.app_volumes([MEDIA], "p") == [
        {"name": "p-site-media", "component": "site", "volume": "media", "path": "/srv/media", "uid": 1000, "gid": 1000},
        {"name": "p-site-beat", "component": "site", "volume": "beat", "path": "/var/lib/beat", "uid": 1000, "gid": 1000}]
    # The static-files volume goes to the user of each component with a static job.
    assert app.app_volumes([{**MEDIA, "static": ["collect"]}, COMPONENTS[1]], "p", "p-static", "/static") == [
        {"name": "p-static", "component": "site", "volume": "static", "path": "/static", "uid": 1000, "gid": 1000}]


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


def test_a_wired_value_under_several_names_each_with_its_redis_database():
    names = {"REDIS_URL": ["CACHE_URL", {"name": "CELERY_BROKER_URL", "redis_database": 1}]}
    runtime = app.app_runtime(WIRING, ["redis"], names, {}, {}, True)
    assert runtime["secrets"] == {"CACHE_URL": "redis://:p@redis:6379/0", "CELERY_BROKER_URL": "redis://:p@redis:6379/1"}
    assert "REDIS_URL" not in runtime["secrets"] and runtime["env"]["CELERY_BROKER_URL_FILE"] == "/run/secrets/CELERY_BROKER_URL"
    assert app.app_wired_names(WIRING, ["redis"], names) == [
        "CACHE_URL", "CACHE_URL_FILE", "CELERY_BROKER_URL", "CELERY_BROKER_URL_FILE", "REDIS_HOST"]


def test_processes_and_jobs_get_their_components_and_processes_environment_and_secrets():
    component = {**MEDIA, "env": {"SITE": "1"}, "secrets": {"SITE_KEY": "k"},
                 "migrate": {"command": ["manage", "migrate"], "process": "web"}, "smoke": ["smoke"],
                 "processes": [{**MEDIA["processes"][0], "env": {"WEB": "1"}, "secrets": {"WEB_KEY": "w"}}]}
    web = app.app_containers([component], CONF)[0]
    assert web["env"] == {"A": "1", "SITE": "1", "WEB": "1", "SITE_KEY_FILE": "/run/secrets/SITE_KEY",
                          "WEB_KEY_FILE": "/run/secrets/WEB_KEY"}
    assert web["secrets"] == {"S": "x", "SITE_KEY": "k", "WEB_KEY": "w"}
    conf = {**CONF, "secrets_dir": "p-app/jobs", "slot": "blue"}
    migrate = app.app_jobs([component], "migrate", conf)[0]
    assert migrate["env"] == web["env"] and migrate["secrets_from"] == "p-app/jobs/site-migrate"
    assert migrate["volumes"] == [{"name": "p-site-media", "mount": "/srv/media", "read_only": False}]
    smoke = app.app_jobs([component], "smoke", conf)[0]
    assert "WEB" not in smoke["env"] and smoke["env"]["SITE"] == "1"
    dirs = {d["dir"]: [f["name"] for f in d["files"]] for d in app.app_job_secrets([component], conf)}
    assert dirs == {"site-migrate": ["S", "SITE_KEY", "WEB_KEY"], "site-smoke": ["S", "SITE_KEY"]}
    plain = app.app_containers([component], {**CONF, "secrets": {}, "as_files": False})[0]
    assert plain["env"]["WEB_KEY"] == "w" and plain["secrets"] == {}


NGINX = {"Name": "/p-nginx", "NetworkSettings": {"Networks": {"p": {"IPAddress": "172.20.0.5"}}}}


@pytest.mark.parametrize("host, expected", [
    ("localhost", {"url": "http://localhost:8082", "network_mode": "container:p-nginx"}),
    ("shop.example.com", {"url": "http://shop.example.com:8082", "etc_hosts": {"shop.example.com": "172.20.0.5"}}),
    ("", {"url": "http://nginx:8082"})])
def test_smoke_requests_carry_the_smoke_host(host, expected):
    assert app.smoke_reach("http://nginx:8082", {"smoke_host": host, "smoke_containers": {"nginx": NGINX}}) == expected


@pytest.mark.parametrize("url, expected", [("https://nginx:8443", "https://nginx:8443"), ("", "http://app-web-blue:8000")])
def test_smoke_tests_go_through_nginx_or_straight_to_the_new_slot(url, expected):
    jobs = app.app_jobs(COMPONENTS, "smoke", {**CONF, "url": url, "slot": "blue", "secrets_dir": "p-app"})
    assert [job["command"] for job in jobs] == [["smoke", expected]]
    assert jobs[0]["secrets_from"] == "p-app/app-smoke" and jobs[0]["uid"] == 10001


def test_migrations_run_the_new_image_and_static_jobs_fill_the_volume():
    conf = {**CONF, "secrets_dir": "p-app", "static_volume": "p-static"}
    components = [COMPONENTS[0], {**COMPONENTS[1], "migrate": ["migrate"], "static": ["collect", "/static"]}]
    migrations = app.app_jobs(components, "migrate", conf)
    assert [(j["name"], j.get("image_ref")) for j in migrations] == [("p-app-migrate", None), ("p-front-migrate", "p/front:7")]
    static = app.app_jobs(components, "static", conf)
    assert [j["name"] for j in static] == ["p-front-static"]
    assert static[0]["volumes"] == [{"name": "p-static", "mount": "/static"}]
    assert app.app_jobs(components, "static", {**conf, "static_mount": "/app/static"})[0]["volumes"][0]["mount"] == "/app/static"


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


@pytest.mark.parametrize("change, message", [
    ({"processes": [{"name": "web", "command": ["x"], "port": 1, "ports": {"http": 2}}]}, "processes[0]: give port or ports"),
    ({"processes": [{"name": "web", "command": ["x"], "ports": {"http": 70000}}]}, "processes[0].ports.http: 70000"),
    ({"processes": [{"name": "web", "command": ["x"], "ports": {"a": 1, "b": 1}}]}, "two names have the same port"),
    ({"processes": [{"name": "web", "command": ["x"], "ports": {"http": 1}, "metrics_port": "admin"}]},
     "metrics_port: 'admin' is neither a port number nor one of its ports (http)"),
    ({"volumes": [{"name": "media", "path": "/etc/media", "writer": "web"}]}, "volumes[0].path: '/etc/media' is not allowed"),
    ({"volumes": [{"name": "media", "path": "../x", "writer": "web"}]}, "must be an absolute path"),
    ({"volumes": [{"name": "media", "path": "/srv/m", "writer": "celery"}]}, "writer: 'celery' must be one of its processes (web, beat) or all"),
    ({"processes": [{"name": "web", "command": ["x"], "volumes": [{"name": "up", "path": "/up"}]},
                    {"name": "beat", "command": ["y"], "volumes": [{"name": "up", "path": "/up"}]}]},
     "processes[1].volumes: up is written by process web already"),
    ({"migrate": {"command": ["m"], "process": "api"}}, "migrate.process: 'api' is not a process of site (web, beat)"),
])
def test_bad_ports_volumes_and_jobs_are_named(change, message):
    errors = app.app_spec_errors([{**MEDIA, **change}], {})
    assert any(message in error for error in errors), errors
    assert all(error.startswith("app_components[0]") for error in errors)


def test_two_components_whose_volumes_get_one_docker_name_are_refused():
    one = {**MEDIA, "name": "a-b", "volumes": [{"name": "c", "path": "/c", "writer": "all"}]}
    other = {**MEDIA, "name": "a", "volumes": [{"name": "b-c", "path": "/c", "writer": "all"}]}
    assert app.app_spec_errors([one, other], {}) == [
        "app_components: the volumes of two components get the same Docker name (a-b-c); rename a component or a volume"]


def test_the_described_shapes_pass_and_bad_names_of_wired_values_are_named():
    assert app.app_spec_errors([MEDIA, DUPLEX, *COMPONENTS], {"REDIS_URL": ["A", {"name": "B", "redis_database": 1}]}) == []
    assert app.app_spec_errors([], {"DATABASE_URL": {"name": "X", "redis_database": 1}}) == [
        "app_env_names.DATABASE_URL: redis_database belongs to REDIS_URL only"]
    assert app.app_spec_errors([], {"REDIS_URL": ["ok", "no-dash"]}) == [
        "app_env_names.REDIS_URL: 'no-dash' must be an environment variable name (letters, digits, '_')"]


def test_the_jobs_directory_is_one_prepare_host_call_that_keeps_what_is_described_and_prunes_the_rest():
    layout = app.app_job_layout([{"dir": "web-migrate", "uid": 10001, "gid": 10001,
                                  "files": [{"name": "DATABASE_URL", "value": "postgresql://x"}]}], "/etc/appstack/p-app")
    assert {"path": "/etc/appstack/p-app/jobs/web-migrate/secrets", "owner": 10001, "group": 10001,
            "mode": "0700"} in layout["directories"]
    assert layout["secret_files"] == [{"path": "/etc/appstack/p-app/jobs/web-migrate/secrets/DATABASE_URL",
                                       "content": "postgresql://x", "owner": 10001, "group": 10001, "mode": "0600"}]
    kept = {d["path"] for d in layout["directories"]}
    assert {"/etc/appstack/p-app/state", "/etc/appstack/p-app/jobs"} <= kept
    # every pruned directory's described entries are listed (prepare_host keeps those, removes the rest)
    assert set(layout["prune"]) == {"/etc/appstack/p-app", "/etc/appstack/p-app/jobs", "/etc/appstack/p-app/jobs/web-migrate",
                                    "/etc/appstack/p-app/jobs/web-migrate/secrets"}
