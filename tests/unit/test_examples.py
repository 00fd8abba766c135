"""The worked examples of docs/examples pass the whole-stack preflight, and describe what their READMEs say.

Each example is an inventory (``ansible-playbook playbooks/site.yml -i docs/examples/<shape>``). The preflight of a
site run (the ``appstack.platform.checks`` role with ``checks_role: stack``, which ``site.yml`` runs before anything
else) runs on the controller only: no Docker host is needed, so every example is checked here as a team would run it,
then what its roles describe (containers, nginx upstreams, jobs, metrics) is read back and compared with the example.

The examples build their images from a team's checkout, ``build.context`` under /srv (a placeholder). The preflight
checks that a context exists when the Docker host is this machine, so each example runs from a copy whose contexts are
temporary directories with a Dockerfile; the example as written is refused, naming its missing context. Broken copies
(one wrong line each) must be refused too, naming what is wrong.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs/examples"
SHAPES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "hosts.yml").is_file())
#: Where the examples' build contexts are (a team's checkout on the Docker host).
PLACEHOLDER = "/srv/"
SECRETS_DIR = "/run/secrets"

#: The start of site.yml (its preflight), then what the roles describe, read in each role's own scope.
PLAYBOOK = """\
- name: Check an example's stack as site.yml does before anything changes, and show what its roles describe
  hosts: docker_hosts
  gather_facts: false
  tasks:
    - name: Check every setting of the stack
      ansible.builtin.include_role:
        name: appstack.platform.checks
      vars:
        checks_role: stack

    - name: Show what the roles describe
      vars:
        components: "{{ lookup('appstack.platform.service_vars', 'app_components') }}"
        job_conf: "{{ lookup('appstack.platform.service_vars', 'app_job_conf') | combine({'url': 'http://nginx:8080'}) }}"
      ansible.builtin.debug:
        msg:
          plan: "{{ checks_plan }}"
          containers: "{{ lookup('appstack.platform.service_vars', 'app_containers') }}"
          metrics: "{{ lookup('appstack.platform.service_vars', 'app_metrics') }}"
          routes: "{{ lookup('appstack.platform.service_vars', 'nginx_routes') }}"
          upstreams: "{{ lookup('appstack.platform.service_vars', 'nginx_upstreams') }}"
          static_volume: "{{ lookup('appstack.platform.service_vars', 'app_static_volume') }}"
          static_mount: "{{ lookup('appstack.platform.service_vars', 'app_static_mount') }}"
          jobs:
            migrate: "{{ components | appstack.platform.app_jobs('migrate', job_conf) }}"
            static: "{{ components | appstack.platform.app_jobs('static', job_conf) }}"
            smoke: "{{ components | appstack.platform.app_jobs('smoke', job_conf) }}"
"""


def run_preflight(inventory: Path, tmp_path: Path) -> tuple[bool, str, dict]:
    """The preflight of INVENTORY's stack: (passed, its message, what the roles describe when it passed)."""
    playbook_dir = tmp_path / "play"
    playbook_dir.mkdir(exist_ok=True)
    # group_vars beside the playbook, as for playbooks/site.yml (the stack-wide defaults).
    if not (playbook_dir / "group_vars").exists():
        (playbook_dir / "group_vars").symlink_to(ROOT / "playbooks/group_vars")
    (playbook_dir / "examples.yml").write_text(PLAYBOOK)
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    result = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook_dir / "examples.yml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report (rc {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    results = [(task["task"]["name"], host_result) for play in report["plays"] for task in play["tasks"]
               for host_result in task["hosts"].values()]
    failed = [r for _name, r in results if r.get("failed")]
    if failed or result.returncode != 0:
        return False, "\n".join(str(r.get("msg")) for r in failed) or result.stderr[-3000:], {}
    check = next(r for name, r in results if "Check the settings of stack" in name)
    described = next(r for name, r in results if name == "Show what the roles describe")
    return True, str(check.get("msg")), described["msg"]


def contexts(settings: dict) -> list[str]:
    return [str(c["build"]["context"]) for c in settings.get("app_components") or [] if c.get("build")]


def settings_of(inventory: Path) -> dict:
    return yaml.safe_load((inventory / "group_vars/docker_hosts/main.yml").read_text())


def copy_example(shape: str, tmp_path: Path, edit: Callable[[str], str] | None = None) -> Path:
    """A copy of the example SHAPE (its text changed by EDIT) whose build contexts exist: /srv/... under TMP_PATH."""
    inventory = tmp_path / shape
    shutil.copytree(EXAMPLES / shape, inventory)
    path = inventory / "group_vars/docker_hosts/main.yml"
    text = path.read_text()
    if edit:
        changed = edit(text)
        assert changed != text, "the edit changed nothing: the example no longer has the line it replaces"
        text = changed
    for context in contexts(yaml.safe_load(text)):
        assert context.startswith(PLACEHOLDER), f"{shape}: build context {context} is not a placeholder under {PLACEHOLDER}"
        directory = tmp_path / context.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "Dockerfile").write_text("FROM scratch\n")
    path.write_text(text.replace(f"context: {PLACEHOLDER}", f"context: {tmp_path}{PLACEHOLDER}"))
    return inventory


@pytest.fixture(scope="module")
def describe(tmp_path_factory) -> Callable[[str], tuple[str, dict, dict]]:
    """describe(SHAPE): the example's name, its settings and what its roles describe (its preflight passed), once."""
    cache: dict[str, tuple[str, dict, dict]] = {}

    def get(shape: str) -> tuple[str, dict, dict]:
        if shape not in cache:
            tmp_path = tmp_path_factory.mktemp(shape)
            passed, message, described = run_preflight(copy_example(shape, tmp_path), tmp_path)
            assert passed, f"{shape}: the preflight refused the example:\n{message}"
            cache[shape] = (shape, settings_of(EXAMPLES / shape), described)
        return cache[shape]

    return get


@pytest.fixture(params=SHAPES)
def example(request, describe) -> tuple[str, dict, dict]:
    return describe(request.param)


def test_every_shape_has_an_example():
    assert SHAPES == ["django", "game", "nestjs", "video-editor"]
    for shape in SHAPES:
        assert (EXAMPLES / shape / "README.md").is_file(), f"{shape} has no README.md"


def declared_ports(settings: dict) -> dict[tuple[str, str], dict[str, int]]:
    """(component, process) -> its named ports, as the example declares them (C(port) is C({http: port}))."""
    found = {}
    for component in settings["app_components"]:
        for process in component.get("processes") or []:
            ports = dict(process.get("ports") or ({"http": process["port"]} if process.get("port") else {}))
            found[(component["name"], process["name"])] = {str(k): int(v) for k, v in ports.items()}
    return found


def test_the_preflight_passes_and_plans_the_services(example):
    shape, settings, described = example
    plan = described["plan"]
    assert "are valid" in plan["msg"], plan["msg"]
    assert sorted(plan["checked"]) == sorted(settings["appstack_services"])
    planned = {service for wave in plan["waves"] for service in wave}
    assert planned == set(settings["appstack_services"])
    # The app starts after its data services and before nginx.
    wave_of = {service: index for index, wave in enumerate(plan["waves"]) for service in wave}
    assert all(wave_of["app"] > wave_of[s] for s in settings["appstack_services"] if s in ("postgres", "redis", "kafka",
                                                                                        "elasticsearch", "minio"))
    assert wave_of["nginx"] > wave_of["app"]


def test_every_route_resolves_to_a_declared_port_of_a_web_process(example):
    shape, settings, described = example
    ports = declared_ports(settings)
    aliases = {}
    for container in described["containers"]:
        labels = container["labels"]
        for alias in container["aliases"]:
            aliases[alias] = (labels["org.appstack.app.component"], labels["org.appstack.app.process"])
    assert [r["path"] for r in described["routes"]] == [r["path"] for r in settings["nginx_routes"]]
    for route in described["routes"]:
        upstream = described["upstreams"].get(route["upstream"])
        assert upstream, f"{shape}: {route['path']} goes to {route['upstream']}, which is no upstream: {described['upstreams']}"
        for server in upstream["servers"]:
            host, port = server.rsplit(":", 1)
            assert host in aliases, f"{shape}: {route['path']} -> {server}: no container answers to {host}"
            process_ports = ports[aliases[host]]
            assert int(port) in process_ports.values(), f"{shape}: {route['path']} -> {server}: not a port of {aliases[host]}"
            # A named upstream (component.process.port) reaches exactly that port.
            parts = route["upstream"].split(".")
            if len(parts) == 3:
                assert process_ports[parts[2]] == int(port), (shape, route, server)


def test_every_process_has_a_health_check_its_image_can_run(example):
    """curl is in no Python or Node.js base image: every example's checks use the interpreter the image has."""
    shape, _settings, described = example
    for container in described["containers"]:
        test = container["healthcheck"].get("test") or []
        assert test and test[0] in ("CMD", "CMD-SHELL"), (shape, container["name"], test)
        assert not any("curl" in str(word) or "wget" in str(word) for word in test), (shape, container["name"], test)


def test_secrets_arrive_as_files_named_by_their_file_variables(example):
    shape, _settings, described = example
    for container in described["containers"]:
        files = {name: value for name, value in container["env"].items() if name.endswith("_FILE")}
        assert files, f"{shape}: {container['name']} has no secret files"
        for name, path in files.items():
            secret = name.removesuffix("_FILE")
            assert path == f"{SECRETS_DIR}/{secret}" and secret in container["secrets"], (shape, container["name"], name)
            assert secret not in container["env"], f"{shape}: {secret} is in {container['name']}'s plain environment"


def test_component_volumes_are_writable_by_their_writer_only(example):
    shape, settings, described = example
    project = settings["appstack_project"]
    for component in settings["app_components"]:
        for volume in component.get("volumes") or []:
            name = f"{project}-{component['name']}-{volume['name']}"
            for container in described["containers"]:
                if container["labels"]["org.appstack.app.component"] != component["name"]:
                    continue
                mounts = [m for m in container.get("volumes") or [] if m.get("name") == name]
                assert len(mounts) == 1 and mounts[0]["mount"] == volume["path"], (shape, container["name"], mounts)
                writer = volume["writer"] in ("all", container["labels"]["org.appstack.app.process"])
                assert mounts[0]["read_only"] is not writer, (shape, container["name"], mounts)


def by_process(described: dict, component: str, process: str) -> list[dict]:
    return [c for c in described["containers"]
            if (c["labels"]["org.appstack.app.component"], c["labels"]["org.appstack.app.process"]) == (component, process)]


def test_django_example(describe):
    _shape, _settings, described = describe("django")
    web = by_process(described, "app", "web")
    workers = by_process(described, "app", "worker")
    beat = by_process(described, "app", "beat")
    flower = by_process(described, "app", "flower")
    assert (len(web), len(workers), len(beat), len(flower)) == (2, 2, 1, 1)
    # One wired Redis URL under two names: the cache on database 0, Celery's broker on database 1.
    for container in web + workers + beat + flower:
        assert re.search(r"@redis:6379/0$", container["secrets"]["REDIS_URL"]), container["name"]
        assert re.search(r"@redis:6379/1$", container["secrets"]["CELERY_BROKER_URL"]), container["name"]
        assert container["secrets"]["DATABASE_URL"].startswith("postgresql://app:")
        assert "DJANGO_SECRET_KEY" in container["secrets"]
    # Flower's password is flower's own secret.
    assert all("FLOWER_BASIC_AUTH" in c["secrets"] for c in flower)
    assert not any("FLOWER_BASIC_AUTH" in c["secrets"] for c in web + workers + beat)
    # The media volume: written by web, read by the others; beat's schedule in a volume of its own.
    media = "shop-app-media"
    assert all(m["read_only"] is False for c in web for m in c["volumes"] if m["name"] == media)
    assert all(m["read_only"] is True for c in workers + beat + flower for m in c["volumes"] if m["name"] == media)
    assert [m for m in beat[0]["volumes"] if m["name"] == "shop-app-beat"] == [
        {"name": "shop-app-beat", "mount": "/var/lib/celery", "read_only": False}]
    assert "--schedule=/var/lib/celery/beat-schedule" in beat[0]["command"]
    # collectstatic writes STATIC_ROOT inside the static volume, at the path nginx serves as /static/.
    (static,) = described["jobs"]["static"]
    mount = described["static_mount"]
    assert {"name": described["static_volume"], "mount": mount} in [{k: v for k, v in m.items() if k in ("name", "mount")}
                                                                   for m in static["volumes"]]
    assert static["env"]["STATIC_ROOT"] == f"{mount}/static"
    assert static["env"]["DJANGO_SETTINGS_MODULE"] == "shop.settings.prod"
    # Migrations get web's environment and secrets; the smoke test carries its URL.
    (migrate,) = described["jobs"]["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert {"DATABASE_URL_FILE", "DJANGO_SECRET_KEY_FILE", "CELERY_BROKER_URL_FILE"} <= set(migrate["env"])
    (smoke,) = described["jobs"]["smoke"]
    assert smoke["command"][:2] == ["python", "-c"] and smoke["command"][-1] == "http://nginx:8080"
    # flower: its own port on a web process, routed under /flower/ with the app's own headers.
    assert described["upstreams"]["app.flower"]["servers"] == ["app-flower-blue:5555"]
    assert {r["path"]: r.get("headers", "nginx") for r in described["routes"]} == {
        "/api/": "nginx", "/admin/": "nginx", "/media/": "nginx", "/flower/": "app"}


def test_game_example(describe):
    _shape, _settings, described = describe("game")
    routes = {r["path"]: r for r in described["routes"]}
    assert described["upstreams"][routes["/api/"]["upstream"]]["servers"] == ["game-server-blue:3000"]
    assert described["upstreams"][routes["/ws/"]["upstream"]]["servers"] == ["game-server-blue:3001"]
    assert routes["/ws/"]["websocket"] is True
    server = by_process(described, "game", "server")
    assert len(server) == 2
    assert server[0]["env"]["S3_BUCKET"] == "uploads" and server[0]["env"]["S3_ENDPOINT"] == "http://minio:9000"
    assert {"S3_ACCESS_KEY", "S3_SECRET_KEY", "REDIS_URL", "DATABASE_URL"} <= set(server[0]["secrets"])
    assert ":game-dev-redis-password@redis:6379/0" in server[0]["secrets"]["REDIS_URL"]


def test_video_editor_example(describe):
    _shape, _settings, described = describe("video-editor")
    (static,) = described["jobs"]["static"]
    assert static["name"] == "editor-frontend-static" and static["command"] == ["cp", "-R", "/dist/.", "/static/"]
    assert {"name": described["static_volume"], "mount": "/static"} in [
        {k: v for k, v in m.items() if k in ("name", "mount")} for m in static["volumes"]]
    # The frontend runs nothing; the backend's one process answers on two ports, both routed.
    assert not [c for c in described["containers"] if c["labels"]["org.appstack.app.component"] == "frontend"]
    assert described["upstreams"]["backend.api.http"]["servers"] == ["backend-api-blue:3001"]
    assert described["upstreams"]["backend.api.ws"]["servers"] == ["backend-api-blue:3002"]
    # Prometheus scrapes the named port that serves /metrics, in both slots.
    (metrics,) = described["metrics"]
    assert metrics["port"] == 3001 and sorted(metrics["dns_names"]) == ["backend-api-blue", "backend-api-green"]


def test_nestjs_example(describe):
    _shape, _settings, described = describe("nestjs")
    web = by_process(described, "api", "web")
    consumers = by_process(described, "api", "consumer")
    assert len(web) == 2 and len(consumers) == 3
    assert all(c["labels"]["org.appstack.app.slot"] == "" for c in consumers)
    env = consumers[0]["env"]
    assert env["KAFKA_BROKERS"] == "kafka:9092" and env["KAFKA_TOPIC"] == "orders" and env["KAFKA_GROUP"] == "orders-worker"
    assert env["ELASTICSEARCH_NODE"] == "http://elasticsearch:9200" and env["ELASTICSEARCH_INDEX"] == "products"
    assert {"ELASTICSEARCH_PASSWORD", "DATABASE_URL", "REDIS_URL"} <= set(consumers[0]["secrets"])
    assert described["upstreams"]["api"]["servers"] == ["api-web-blue:3000"]


@pytest.mark.parametrize("shape", SHAPES)
def test_an_example_as_written_names_its_missing_build_context(shape, tmp_path):
    """The examples' contexts are placeholders: run as they are on a machine without the team's checkout, the
    preflight stops before anything changes, names each missing context, and finds nothing else wrong."""
    missing = [c for c in contexts(settings_of(EXAMPLES / shape)) if not Path(c).exists()]
    if not missing:
        pytest.skip(f"{shape}: every build context exists on this machine")
    passed, message, _ = run_preflight(EXAMPLES / shape, tmp_path)
    assert not passed and "nothing was changed" in message, message
    problems = [line for line in message.splitlines() if line.startswith("- ")]
    assert problems and all("build context" in line for line in problems), message
    assert all(context in message for context in missing), message


#: A broken copy of an example (one line changed) and what its refusal must name.
BROKEN = {
    "route_to_an_undeclared_port": ("game", ("upstream: game.server.ws", "upstream: game.server.admin"),
                                    ["nginx_routes: game.server.admin is no upstream"]),
    "route_to_an_unknown_process": ("django", ("upstream: app.flower", "upstream: app.flowers"),
                                    ["nginx_routes: app.flowers is no upstream"]),
    "metrics_on_an_undeclared_port": ("video-editor", ("metrics_port: http", "metrics_port: metrics"),
                                      ["app_components[1].processes[0].metrics_port: 'metrics'"]),
    "a_mistyped_process_key": ("nestjs", ("port: 3000", "prot: 3000"),
                               ["app_components[0].processes[0]: unknown key 'prot'"]),
    "two_writers_of_one_process_volume": ("django", (
        "command: [celery, -A, shop, worker, --loglevel=INFO]",
        "command: [celery, -A, shop, worker, --loglevel=INFO]\n        volumes: [{name: beat, path: /var/lib/celery}]"),
        ["app_components[0].processes[2].volumes: beat is written by process worker"]),
    "a_volume_writer_that_is_no_process": ("django", ("writer: web", "writer: webs"),
                                           ["app_components[0].volumes[0].writer: 'webs'"]),
    "port_and_ports_together": ("game", ("ports: {http: 3000, ws: 3001}", "ports: {http: 3000, ws: 3001}\n        port: 3000"),
                                ["app_components[0].processes[0]: give port or ports, not both"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_copy_of_an_example_is_refused(case, tmp_path):
    shape, (old, new), expected = BROKEN[case]
    inventory = copy_example(shape, tmp_path, lambda text: text.replace(old, new))
    passed, message, _ = run_preflight(inventory, tmp_path)
    assert not passed, f"{case}: the preflight passed a broken {shape} example"
    assert "nothing was changed" in message, message
    for text in expected:
        assert text in message, f"{case}: the refusal does not name {text!r}:\n{message}"
