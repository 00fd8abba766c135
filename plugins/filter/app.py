# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filters of the app role: its components' containers, nginx upstreams and images (documented in app_*.yml)."""

from __future__ import annotations

from typing import Any

#: Labels that tell an app container's component, process and slot (the rollout finds containers by them).
LABEL_COMPONENT = "org.appstack.app.component"
LABEL_PROCESS = "org.appstack.app.process"
LABEL_SLOT = "org.appstack.app.slot"
LABEL_VERSION = "org.appstack.app.version"


def is_web(process: dict) -> bool:
    """A web process answers on a port behind nginx and is rolled out blue/green."""
    return bool(process.get("port"))


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
            for index in range(1, int(process.get("replicas", 1)) + 1):
                spec = {
                    "name": f"{conf['project']}-{base}-{slot + '-' if slot else ''}{index}",
                    "image": image["image"],
                    "image_tag": image["tag"],
                    "command": list(process["command"]),
                    "env": {**(conf.get("env") or {}), **(component.get("env") or {}), **(process.get("env") or {})},
                    "secrets": dict(conf.get("secrets") or {}),
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
                for key in ("uid", "gid"):
                    if component.get(key) is not None:
                        spec[key] = component[key]
                found.append(spec)
    return found


def app_upstreams(components: list[dict], slot: str) -> dict[str, dict]:
    """nginx upstreams: one per component with a web process, the slot's alias (every replica) on its port."""
    upstreams = {}
    for component in components:
        for process in component.get("processes") or []:
            if is_web(process):
                upstreams[component["name"]] = {"servers": [f"{component['name']}-{process['name']}-{slot}:{process['port']}"]}
    return upstreams


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
    """The component's web processes in SLOT on the project network, without nginx."""
    for process in component.get("processes") or []:
        if is_web(process):
            return f"http://{component['name']}-{process['name']}-{slot}:{process['port']}"
    return ""


def app_jobs(components: list[dict], kind: str, conf: dict) -> list[dict]:
    """One-off jobs of the new release (``kind``: ``migrate``, ``static`` or ``smoke``) for the components that declare one.

    A ``static`` job fills the static-files volume (CONF ``static_volume``, mounted at C(/static)) that nginx serves.

    CONF: ``project``, ``version``, ``env``, ``memory``, ``secrets_dir`` (the components' job secrets, relative to
    the config root) and, for a smoke test, ``url`` (through nginx; appended to its command) or else ``slot`` (the
    component's web processes in that slot, directly). Each job runs the component's image with the app's
    environment and reads its secrets as the processes do.
    """
    jobs = []
    for component in components:
        if not component.get(kind):
            continue
        image = app_image(component, conf["version"], conf["project"], conf.get("pinned", ""))
        job = {"name": f"{conf['project']}-{component['name']}-{kind}", "image": image["image"], "image_tag": image["tag"],
               "command": list(component[kind]) + ([conf.get("url") or _direct_url(component, conf.get("slot", ""))]
                                                    if kind == "smoke" else []),
               "env": dict(conf.get("env") or {}), "memory": str(component.get("memory") or conf["memory"]),
               "secrets_from": f"{conf['secrets_dir']}/{component['name']}"}
        if image["ref"]:
            job["image_ref"] = image["ref"]
        if kind == "static":
            job["volumes"] = [{"name": conf["static_volume"], "mount": "/static"}]
        for key in ("uid", "gid"):
            if component.get(key) is not None:
                job[key] = component[key]
        jobs.append(job)
    return jobs


def app_runtime(wiring: dict, services: list[str], names: dict, env: dict, secrets: dict, as_files: bool) -> dict:
    """Every app process's environment and secret files: ``{env, secrets}``.

    WIRING maps each service to the ``env`` and ``secrets`` it gives the app; those of SERVICES are taken, renamed by
    NAMES (``{DATABASE_URL: DB_URL}``), then ENV and SECRETS (the operator's) added. With AS_FILES each secret is a
    file ``/run/secrets/<NAME>`` and the environment says where (``<NAME>_FILE``); otherwise it is plain environment.
    """
    names = names or {}
    wired_env: dict[str, str] = {}
    wired_secrets: dict[str, str] = {}
    for service in services:
        for key, value in (wiring[service].get("env") or {}).items():
            wired_env[str(names.get(key, key))] = str(value)
        for key, value in (wiring[service].get("secrets") or {}).items():
            wired_secrets[str(names.get(key, key))] = str(value)
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

    A web process serves metrics on its port unless it names C(metrics_port); another process only with
    C(metrics_port). Targets are found by DNS on the project network under both slots' aliases, so a rollout
    needs no change of Prometheus's configuration (the slot not running resolves to nothing).
    """
    jobs = []
    for component in components:
        for process in component.get("processes") or []:
            port = process.get("metrics_port") or process.get("port")
            if not port:
                continue
            base = f"{component['name']}-{process['name']}"
            names = [f"{base}-blue", f"{base}-green"] if is_web(process) else [base]
            jobs.append({"job": f"{component['name']}-{process['name']}", "dns_names": names, "port": int(port),
                         "metrics_path": str(process.get("metrics_path") or component.get("metrics_path") or "/metrics")})
    return jobs


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
                "app_images_to_prune": app_images_to_prune}
