# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filters of the app role: its components' containers, nginx upstreams and images (documented in app_*.yml)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Labels that tell an app container's component, process and slot (the rollout finds containers by them).
LABEL_COMPONENT = "org.appstack.app.component"
LABEL_PROCESS = "org.appstack.app.process"
LABEL_SLOT = "org.appstack.app.slot"
LABEL_VERSION = "org.appstack.app.version"


def process_ports(process: dict) -> dict[str, int]:
    """A process's named ports in declaration order: C(ports), or C(port) as C({http: port})."""
    if process.get("ports"):
        return {str(name): int(number) for name, number in dict(process["ports"]).items()}
    if process.get("port"):
        return {"http": int(process["port"])}
    return {}


def is_web(process: dict) -> bool:
    """A web process answers on ports, is rolled out blue/green and can be routed to by nginx."""
    return bool(process_ports(process))


def web_targets(components: list[dict]) -> dict[str, tuple[str, str, int]]:
    """Every name a route can give (C(c.p.port), C(c.p), C(c)) -> (component, process, port), first ports first."""
    targets: dict[str, tuple[str, str, int]] = {}
    for component in components:
        for process in component.get("processes") or []:
            for port_name, number in process_ports(process).items():
                target = (component["name"], process["name"], number)
                targets[f"{component['name']}.{process['name']}.{port_name}"] = target
                targets.setdefault(f"{component['name']}.{process['name']}", target)
                targets.setdefault(component["name"], target)
    return targets


def job_spec(job: Any) -> dict:
    """A job as C({command, process}): a list is its command."""
    if isinstance(job, dict):
        return {"command": list(job.get("command") or []), "process": str(job.get("process") or "")}
    return {"command": list(job or []), "process": ""}


def own_environment(parts: list[dict], conf: dict) -> tuple[dict, dict]:
    """Environment and secret files of a container or job whose description is PARTS (component, then process).

    The app's (CONF C(env), C(secrets)) come first, then each part's C(env); each part's C(secrets) become files with
    C(<NAME>_FILE) (CONF C(as_files), the default) or plain environment.
    """
    env = dict(conf.get("env") or {})
    secrets = dict(conf.get("secrets") or {})
    for part in parts:
        env.update({str(k): v for k, v in (part.get("env") or {}).items()})
    for part in parts:
        own = {str(k): str(v) for k, v in (part.get("secrets") or {}).items()}
        if conf.get("as_files", True):
            secrets.update(own)
            env.update({f"{name}_FILE": f"{SECRETS_DIR}/{name}" for name in own})
        else:
            env.update(own)
    return env, secrets


def volume_mounts(component: dict, process: dict, project: str) -> list[dict]:
    """The named volumes of PROCESS: its component's (read-only unless it is their C(writer) or C(all)) and its own."""
    found = []
    for volume in component.get("volumes") or []:
        writer = str(volume.get("writer") or "all")
        found.append({"name": f"{project}-{component['name']}-{volume['name']}", "mount": str(volume["path"]),
                      "read_only": writer not in ("all", process["name"])})
    for volume in process.get("volumes") or []:
        found.append({"name": f"{project}-{component['name']}-{volume['name']}", "mount": str(volume["path"]),
                      "read_only": False})
    return found


def app_volumes(components: list[dict], project: str, static_volume: str = "", static_mount: str = "") -> list[dict]:
    """Every named volume of the app: C({name, component, volume, path, uid, gid}), owned by its component's user.

    With STATIC_VOLUME, instead the static-files volume once per component with a static job, at STATIC_MOUNT.
    """
    found = []
    for component in components:
        if static_volume:
            declared = [{"name": "static", "path": static_mount}] if component.get("static") else []
        else:
            declared = list(component.get("volumes") or []) + [
                volume for process in component.get("processes") or [] for volume in process.get("volumes") or []]
        for volume in declared:
            entry = {"name": static_volume or f"{project}-{component['name']}-{volume['name']}",
                     "component": component["name"], "volume": str(volume["name"]), "path": str(volume["path"])}
            if component.get("uid") is not None:
                entry.update(uid=int(component["uid"]), gid=int(component.get("gid", component["uid"])))
            found.append(entry)
    return found


def app_image(component: dict, version: str, project: str, pinned: str = "") -> dict:
    """Where COMPONENT's image comes from: the catalog (C(image) without a slash), a reference, a build or an archive.

    Returns ``{image, tag, ref}``; ``ref`` is empty for a catalog image (the shared path resolves it) and a full
    reference otherwise (``<image>:<version>``; a build without C(image) is tagged ``<project>/<component>``).
    PINNED (a rollback's release) wins over the component's own version and VERSION.
    """
    tag = str(pinned or component.get("version") or version)
    image = str(component.get("image") or "")
    if not image and component.get("build"):
        image = f"{project}/{component['name']}"
    if "/" in image or component.get("build") or component.get("archive"):
        return {"image": image, "tag": tag, "ref": f"{image}:{tag}"}
    return {"image": image, "tag": tag, "ref": ""}


def app_containers(components: list[dict], conf: dict) -> list[dict]:
    """The containers the shared path runs for COMPONENTS.

    CONF: ``project``, ``version``, ``slot`` (blue or green: the web processes' names and aliases), ``tier``
    (``web``: the web processes only, as a rollout starts them; ``all``), ``env``, ``secrets``, ``memory``,
    ``cpus``, ``healthy_timeout``. Web process replica N of component C, process P is ``<project>-C-P-<slot>-N``
    with the alias ``C-P-<slot>`` that nginx's upstream names; other processes are ``<project>-C-P-N``.
    """
    found = []
    for component in components:
        image = app_image(component, conf["version"], conf["project"], conf.get("pinned", ""))
        for process in component.get("processes") or []:
            web = is_web(process)
            if conf.get("tier") == "web" and not web:
                continue
            base = f"{component['name']}-{process['name']}"
            slot = conf["slot"] if web else ""
            env, secrets = own_environment([component, process], conf)
            volumes = volume_mounts(component, process, conf["project"])
            for index in range(1, int(process.get("replicas", 1)) + 1):
                spec = {
                    "name": f"{conf['project']}-{base}-{slot + '-' if slot else ''}{index}",
                    "image": image["image"],
                    "image_tag": image["tag"],
                    "command": list(process["command"]),
                    "env": env,
                    "secrets": secrets,
                    "aliases": [f"{base}-{slot}" if slot else base],
                    "labels": {LABEL_COMPONENT: component["name"], LABEL_PROCESS: process["name"], LABEL_SLOT: slot,
                               LABEL_VERSION: image["tag"]},
                    "read_only": bool(process.get("read_only", component.get("read_only", True))),
                    "tmpfs": ["/tmp"],
                    "memory": str(process.get("memory") or component.get("memory") or conf["memory"]),
                    "cpus": float(process.get("cpus") or component.get("cpus") or conf["cpus"]),
                    "healthcheck": dict(process.get("healthcheck") or component.get("healthcheck") or {}),
                    "healthy_timeout": int(conf["healthy_timeout"]),
                }
                if image["ref"]:
                    spec.update(image_ref=image["ref"], pull=bool(component.get("pull", False)))
                if volumes:
                    spec["volumes"] = volumes
                for key in ("uid", "gid"):
                    if component.get(key) is not None:
                        spec[key] = component[key]
                found.append(spec)
    return found


def app_upstreams(components: list[dict], slot: str, live: list[str] | None = None) -> dict[str, dict]:
    """nginx upstreams of the web processes in SLOT: every name a route can give (see C(web_targets)).

    Each upstream's server is the slot's alias of the process (every replica) on the port. LIVE (C(c.p) names), when
    given, keeps only the web processes that run in SLOT now: a component added by a rollout has none there yet.
    """
    upstreams = {}
    for name, (component, process, port) in web_targets(components).items():
        if live is None or f"{component}.{process}" in live:
            upstreams[name] = {"servers": [f"{component}-{process}-{slot}:{port}"]}
    return upstreams


def app_targets(components: list[dict]) -> list[str]:
    """Every upstream name a route can give: C(<component>.<process>.<port>), C(<component>.<process>), C(<component>)."""
    return list(web_targets(components))


def app_web_processes(components: list[dict]) -> list[str]:
    """The web processes as C(<component>.<process>) (what a release record keeps of its slot)."""
    return [f"{component['name']}.{process['name']}" for component in components
            for process in component.get("processes") or [] if is_web(process)]


def app_live_web(containers: list[dict]) -> list[str]:
    """The web processes (C(<component>.<process>)) of CONTAINERS (C(docker_host_info)'s, verbose), by their labels."""
    found = []
    for container in containers:
        labels = container.get("Labels") or {}
        if labels.get(LABEL_COMPONENT) and labels.get(LABEL_PROCESS) and labels.get(LABEL_SLOT):
            found.append(f"{labels[LABEL_COMPONENT]}.{labels[LABEL_PROCESS]}")
    return sorted(set(found))


def app_images(components: list[dict], version: str, project: str, pinned: str = "") -> list[dict]:
    """The images the app role provides itself (everything outside the catalog): ``{ref, build, archive, pull}``."""
    images = []
    for component in components:
        image = app_image(component, version, project, pinned)
        if image["ref"]:
            images.append({"component": component["name"], "repository": image["image"], "ref": image["ref"],
                           "build": component.get("build") or {}, "archive": component.get("archive") or "",
                           "pull": bool(component.get("pull", False))})
    return images


SECRETS_DIR = "/run/secrets"


def _direct_url(component: dict, slot: str) -> str:
    """The component's first web port in SLOT on the project network, without nginx."""
    for name, (_component, process, port) in web_targets([component]).items():
        if name == component["name"]:
            return f"http://{component['name']}-{process}-{slot}:{port}"
    return ""


#: Names that mean the machine itself: a smoke test with such a Host header shares its target's network namespace.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def smoke_reach(url: str, conf: dict) -> dict:
    """How a smoke job reaches URL with CONF's C(smoke_host) as its Host header: C({url, network_mode | etc_hosts}).

    CONF C(smoke_containers) maps the URL's host (an alias on the project network) to the C(docker inspect) of the
    container behind it. The job asks for C(<scheme>://<smoke_host>:<port>): a local name shares that container's network
    namespace (its localhost), another name resolves to its address. Without a smoke host, or without the container
    found, the URL stays as it is.
    """
    host = str(conf.get("smoke_host") or "")
    parts = urlsplit(url)
    target = (conf.get("smoke_containers") or {}).get(parts.hostname or "") or {}
    name = str(target.get("Name") or "").lstrip("/")
    addresses = [str(n.get("IPAddress") or "") for n in ((target.get("NetworkSettings") or {}).get("Networks") or {}).values()]
    if not host or not name:
        return {"url": url}
    port = f":{parts.port}" if parts.port else ""
    if host in LOCAL_NAMES:
        return {"url": urlunsplit(parts._replace(netloc=f"localhost{port}")), "network_mode": f"container:{name}"}
    if not any(addresses):
        return {"url": url}
    return {"url": urlunsplit(parts._replace(netloc=f"{host}{port}")), "etc_hosts": {host: next(a for a in addresses if a)}}


def _process(component: dict, name: str) -> dict:
    """The process NAME of COMPONENT (empty when it has none of that name)."""
    return next((p for p in component.get("processes") or [] if p.get("name") == name), {}) if name else {}


def app_jobs(components: list[dict], kind: str, conf: dict) -> list[dict]:
    """One-off jobs of the new release (``kind``: ``migrate``, ``static`` or ``smoke``) for the components that declare one.

    A job is a command, or C({command, process}): it gets the app's, the component's and that process's environment and
    secrets (``own_environment``), and reads its secret files from C(<secrets_dir>/<component>-<kind>) (written from
    ``app_job_secrets``). A ``static`` job mounts the static-files volume (CONF ``static_volume``) at CONF
    ``static_mount`` (default C(/static)); the component's own volumes are mounted as in its process.

    CONF: ``project``, ``version``, ``env``, ``secrets``, ``as_files``, ``memory``, ``secrets_dir`` and, for a smoke
    test, ``url`` (through nginx; appended to its command) or else ``slot`` (the web processes, directly).
    """
    jobs = []
    for component in components:
        if not component.get(kind):
            continue
        spec = job_spec(component[kind])
        process = _process(component, spec["process"])
        env, _secrets = own_environment([component, process], conf)
        image = app_image(component, conf["version"], conf["project"], conf.get("pinned", ""))
        reach: dict = {}
        if kind == "smoke":
            reach = smoke_reach(conf.get("url") or _direct_url(component, conf.get("slot", "")), conf)
        job = {"name": f"{conf['project']}-{component['name']}-{kind}", "image": image["image"], "image_tag": image["tag"],
               "command": spec["command"] + ([reach.pop("url")] if kind == "smoke" else []),
               "env": env, **reach, "memory": str(process.get("memory") or component.get("memory") or conf["memory"]),
               "secrets_from": f"{conf['secrets_dir']}/{component['name']}-{kind}"}
        if image["ref"]:
            job["image_ref"] = image["ref"]
        volumes = volume_mounts(component, process or {"name": ""}, conf["project"]) if process else []
        if kind == "static":
            volumes.append({"name": conf["static_volume"], "mount": str(conf.get("static_mount") or "/static")})
        if volumes:
            job["volumes"] = volumes
        for key in ("uid", "gid"):
            if component.get(key) is not None:
                job[key] = component[key]
        jobs.append(job)
    return jobs


def app_job_secrets(components: list[dict], conf: dict) -> list[dict]:
    """The secrets directory of every job of every kind: C({dir, uid, gid, files: [{name, value}]}).

    C(dir) is the job's C(secrets_from) below CONF's C(secrets_dir) (see ``app_jobs``); C(files) are the app's, the
    component's and, for a job naming a process, that process's secrets.
    """
    found = []
    for component in components:
        for kind in ("migrate", "static", "smoke"):
            if component.get(kind):
                process = _process(component, job_spec(component[kind])["process"])
                _env, secrets = own_environment([component, process], conf)
                uid = int(component.get("uid") or 0)
                found.append({"dir": f"{component['name']}-{kind}", "uid": uid, "gid": int(component.get("gid") or uid),
                              "files": [{"name": name, "value": value} for name, value in sorted(secrets.items())]})
    return found


def app_job_layout(job_dirs: list[dict], app_dir: str) -> dict:
    """The role's directory as appstack.platform.prepare_host options (one round trip): the release record's
    directory, each job's secrets (JOB_DIRS, ``app_job_secrets``) owned by its image's user, and whatever no job
    reads any more pruned."""
    jobs = f"{app_dir}/jobs"
    directories = [{"path": f"{app_dir}/state", "mode": "0755"}, {"path": jobs, "mode": "0755"}]
    secret_files = []
    for job in job_dirs:
        secrets = f"{jobs}/{job['dir']}/secrets"
        directories += [{"path": f"{jobs}/{job['dir']}", "mode": "0755"},
                        {"path": secrets, "owner": job["uid"], "group": job["gid"], "mode": "0700"}]
        secret_files += [{"path": f"{secrets}/{item['name']}", "content": str(item["value"]), "owner": job["uid"],
                          "group": job["gid"], "mode": "0600"} for item in job["files"]]
    prune = [app_dir, jobs] + [f"{jobs}/{job['dir']}" for job in job_dirs] + [f"{jobs}/{job['dir']}/secrets" for job in job_dirs]
    return {"directories": directories, "secret_files": secret_files, "prune": prune}


def wired_names(names: dict, key: str) -> list[dict]:
    """The names the wired variable KEY appears under (NAMES: a name, or a list of names and C({name, redis_database}))."""
    value = (names or {}).get(key, key)
    entries = value if isinstance(value, list) else [value]
    return [dict(entry) if isinstance(entry, dict) else {"name": str(entry)} for entry in entries]


def _renamed(value: str, entry: dict) -> str:
    """VALUE under ENTRY: a Redis URL with ENTRY's C(redis_database) in place of its own."""
    if entry.get("redis_database") is None:
        return value
    base, _sep, _database = value.rpartition("/")
    return f"{base}/{int(entry['redis_database'])}"


def app_runtime(wiring: dict, services: list[str], names: dict, env: dict, secrets: dict, as_files: bool) -> dict:
    """Every app process's environment and secret files: ``{env, secrets}``.

    WIRING maps each service to the ``env`` and ``secrets`` it gives the app; those of SERVICES are taken under the
    names NAMES gives each (``{DATABASE_URL: DB_URL}``, ``{REDIS_URL: [CACHE_URL, {name: BROKER_URL, redis_database:
    1}]}``), then ENV and SECRETS (the operator's) added. With AS_FILES each secret is a file ``/run/secrets/<NAME>``
    and the environment says where (``<NAME>_FILE``); otherwise it is plain environment.
    """
    wired_env: dict[str, str] = {}
    wired_secrets: dict[str, str] = {}
    for service in services:
        for kind, target in (("env", wired_env), ("secrets", wired_secrets)):
            for key, value in (wiring[service].get(kind) or {}).items():
                for entry in wired_names(names, key):
                    target[entry["name"]] = _renamed(str(value), entry)
    all_env = {**wired_env, **{str(k): str(v) for k, v in (env or {}).items()}}
    all_secrets = {**wired_secrets, **{str(k): str(v) for k, v in (secrets or {}).items()}}
    if not as_files:
        return {"env": {**all_env, **all_secrets}, "secrets": {}}
    return {"env": {**all_env, **{f"{name}_FILE": f"{SECRETS_DIR}/{name}" for name in all_secrets}}, "secrets": all_secrets}


def app_wired_names(wiring: dict, services: list[str], names: dict, as_files: bool = True) -> list[str]:
    """The variable names the wiring of SERVICES sets (renamed by NAMES), with C(_FILE) twins of secrets."""
    runtime = app_runtime(wiring, services, names, {}, {}, as_files)
    return sorted(set(runtime["env"]) | set(runtime["secrets"]))


def app_metrics(components: list[dict]) -> list[dict]:
    """Prometheus jobs (C(<role>_metrics)): per component, every replica of each process with a metrics port.

    A web process serves metrics on its first port unless it names C(metrics_port) (a number or one of its port
    names); another process only with C(metrics_port). Targets are found by DNS on the project network under both
    slots' aliases, so a rollout needs no change of Prometheus's configuration (the slot not running resolves to nothing).
    """
    jobs = []
    for component in components:
        for process in component.get("processes") or []:
            ports = process_ports(process)
            port = process.get("metrics_port") or next(iter(ports.values()), None)
            if not port:
                continue
            port = ports.get(str(port), port)
            if not str(port).isdigit():
                continue  # a port name the process does not declare: the preflight names it
            base = f"{component['name']}-{process['name']}"
            names = [f"{base}-blue", f"{base}-green"] if is_web(process) else [base]
            jobs.append({"job": f"{component['name']}-{process['name']}", "dns_names": names, "port": int(port),
                         "metrics_path": str(process.get("metrics_path") or component.get("metrics_path") or "/metrics")})
    return jobs


#: Where no volume may be mounted: the image's system files and what Docker or the shared path mount themselves.
RESERVED_PATHS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr")
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _path_error(path: Any) -> str:
    """Why PATH cannot be a volume's mount path (empty when it can)."""
    text = str(path or "")
    if not text.startswith("/") or "//" in text or any(part in (".", "..") for part in text.split("/")) or text == "/":
        return "must be an absolute path below / (no '.', '..' or '//')"
    if any(text.rstrip("/") == r or text.startswith(r + "/") for r in RESERVED_PATHS):
        return f"is not allowed: the image's system files and Docker's mounts ({', '.join(RESERVED_PATHS)}) are not volumes"
    return ""


def _process_errors(where: str, process: dict, component_volumes: list[dict]) -> list[str]:
    """PROCESS's ports, metrics port and volumes (WHERE names it) against the rules of the role."""
    errors = []
    if process.get("port") is not None and process.get("ports"):
        errors.append(f"{where}: give port or ports, not both")
    ports = dict(process.get("ports") or {})
    for name, number in ports.items():
        if not NAME.match(str(name)):
            errors.append(f"{where}.ports: {name!r} must be a port name (lower-case letters, digits, '-')")
        if not str(number).isdigit() or not 1 <= int(number) <= 65535:
            errors.append(f"{where}.ports.{name}: {number!r} must be a port number from 1 to 65535")
    numbers = [str(n) for n in ports.values()]
    if len(set(numbers)) != len(numbers):
        errors.append(f"{where}.ports: two names have the same port")
    metrics = process.get("metrics_port")
    if metrics is not None and not str(metrics).isdigit() and str(metrics) not in ports:
        errors.append(f"{where}.metrics_port: {metrics!r} is neither a port number nor one of its ports "
                      f"({', '.join(map(str, ports)) or 'none declared'})")
    paths = [str(v.get("path")) for v in component_volumes]
    for index, volume in enumerate(process.get("volumes") or []):
        errors.extend(_volume_errors(f"{where}.volumes[{index}]", volume))
        paths.append(str(volume.get("path")))
    if len(set(paths)) != len(paths):
        errors.append(f"{where}: two volumes are mounted at the same path")
    return errors


def _volume_errors(where: str, volume: dict) -> list[str]:
    """A volume's name and path."""
    errors = []
    if not NAME.match(str(volume.get("name") or "")):
        errors.append(f"{where}.name: {volume.get('name')!r} must be lower-case letters, digits and '-'")
    why = _path_error(volume.get("path"))
    if why:
        errors.append(f"{where}.path: {volume.get('path')!r} {why}")
    return errors


def _job_errors(where: str, component: dict) -> list[str]:
    """A component's jobs that name a process it does not have."""
    errors = []
    names = [p.get("name") for p in component.get("processes") or []]
    for kind in ("migrate", "static", "smoke"):
        job = component.get(kind)
        if isinstance(job, dict):
            spec = job_spec(job)
            if not spec["command"]:
                errors.append(f"{where}.{kind}: needs a command (a list)")
            if spec["process"] and spec["process"] not in names:
                errors.append(f"{where}.{kind}.process: {spec['process']!r} is not a process of {component.get('name')} "
                              f"({', '.join(map(str, names))})")
            unknown = sorted(set(job) - {"command", "process"})
            if unknown:
                errors.append(f"{where}.{kind}: unknown key {unknown[0]!r} (known: command, process)")
    return errors


def app_spec_errors(components: list[dict], names: dict) -> list[str]:
    """What the argument spec cannot say about C(app_components) and C(app_env_names): each message names its place.

    Ports (names, numbers, C(port) or C(ports)), C(metrics_port), volumes (names, paths, one writer), jobs naming a
    process, and the several names of a wired variable.
    """
    errors: list[str] = []
    for c_index, component in enumerate(components or []):
        where = f"app_components[{c_index}]"
        processes = component.get("processes") or []
        process_names = [str(p.get("name")) for p in processes]
        shared = list(component.get("volumes") or [])
        for index, volume in enumerate(shared):
            errors.extend(_volume_errors(f"{where}.volumes[{index}]", volume))
            writer = str(volume.get("writer") or "")
            if writer != "all" and writer not in process_names:
                errors.append(f"{where}.volumes[{index}].writer: {writer or 'nothing'!r} must be one of its processes "
                              f"({', '.join(process_names)}) or all")
        owners: dict[str, str] = {str(v.get("name")): "the component" for v in shared}
        for p_index, process in enumerate(processes):
            errors.extend(_process_errors(f"{where}.processes[{p_index}]", process, shared))
            for volume in process.get("volumes") or []:
                name = str(volume.get("name"))
                if name in owners:
                    errors.append(f"{where}.processes[{p_index}].volumes: {name} is written by {owners[name]} already; "
                                  f"a process's own volume has one writer - declare it on the component with a writer "
                                  f"(a process, or all)")
                owners.setdefault(name, f"process {process.get('name')}")
        errors.extend(_job_errors(where, component))
    volume_names = [volume["name"] for volume in app_volumes(components or [], "")]
    clashes = sorted({name.lstrip("-") for name in volume_names if volume_names.count(name) > 1
                      and len({v["component"] for v in app_volumes(components or [], "") if v["name"] == name}) > 1})
    if clashes:
        errors.append(f"app_components: the volumes of two components get the same Docker name ({', '.join(clashes)}); "
                      "rename a component or a volume")
    for key, value in (names or {}).items():
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            entry = entry if isinstance(entry, dict) else {"name": entry}
            unknown = sorted(set(entry) - {"name", "redis_database"})
            if unknown:
                errors.append(f"app_env_names.{key}: unknown key {unknown[0]!r} (known: name, redis_database)")
            if not ENV_NAME.match(str(entry.get("name") or "")):
                errors.append(f"app_env_names.{key}: {entry.get('name')!r} must be an environment variable name "
                              "(letters, digits, '_')")
            database = entry.get("redis_database")
            if database is not None and key != "REDIS_URL":
                errors.append(f"app_env_names.{key}: redis_database belongs to REDIS_URL only")
            elif database is not None and (not str(database).isdigit() or int(database) > 15):
                errors.append(f"app_env_names.{key}: redis_database {database!r} must be a number from 0 to 15")
    return errors


def app_images_to_prune(images: list[dict], live: list[str], keep: int) -> list[str]:
    """Tags beyond the newest KEEP images of each repository (``docker_host_info`` images), never one of LIVE."""
    by_repo: dict[str, list[tuple[int, str]]] = {}
    for image in images:
        for tag in image.get("RepoTags") or []:
            repository = tag.rsplit(":", 1)[0]
            by_repo.setdefault(repository, []).append((int(image.get("Created") or 0), tag))
    prune = []
    for tags in by_repo.values():
        for _created, tag in sorted(tags, reverse=True)[keep:]:
            if tag not in live:
                prune.append(tag)
    return sorted(prune)


class FilterModule:
    """appstack.platform app filters."""

    def filters(self) -> dict[str, Any]:
        return {"app_containers": app_containers, "app_upstreams": app_upstreams, "app_images": app_images,
                "app_runtime": app_runtime, "app_wired_names": app_wired_names, "app_jobs": app_jobs, "app_metrics": app_metrics,
                "app_images_to_prune": app_images_to_prune, "app_volumes": app_volumes, "app_job_secrets": app_job_secrets,
                "app_job_layout": app_job_layout,
                "app_web_processes": app_web_processes, "app_targets": app_targets, "app_live_web": app_live_web,
                "app_spec_errors": app_spec_errors}
