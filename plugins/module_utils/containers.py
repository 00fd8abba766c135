# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""One container description, two renderings: community.docker.docker_container options and a compose service.

A service role describes *what* runs (``<role>_containers``: image, command, env, files,
volumes, ports, health check, limits); this module decides *how*: the hardening every
container gets, the labels, the mounts of its rendered files and secrets, strict
comparisons. The compose rendering exists so the benchmark compares the same containers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from typing import Any

from ansible_collections.appstack.platform.plugins.module_utils.container_schema import OPTIONS, problems

#: Labels every container carries; cleanup, status and the restart checks select by them.
LABEL_PROJECT = "org.appstack.project"
LABEL_SERVICE = "org.appstack.service"
LABEL_ROLE = "org.appstack.role"
LABEL_CONFIG_HASH = "org.appstack.config-hash"
LABEL_JOB = "org.appstack.job"
#: Hash of every docker_container option the container was last deployed with.
LABEL_SPEC_HASH = "org.appstack.spec-hash"

SECRETS_MOUNT = "/run/secrets"

#: What a container gets unless its description says otherwise (declared in module_utils/container_schema.py).
CONTAINER_DEFAULTS: dict[str, Any] = {key: option["default"] for key, option in OPTIONS.items() if "default" in option}
#: What every description must give.
REQUIRED = [key for key, option in OPTIONS.items() if option.get("required")]


class SpecError(ValueError):
    """A container description is incomplete or inconsistent."""


def port_binding(port: dict, address: str = "127.0.0.1") -> str:
    """``{container, host, protocol}`` as a published_ports entry bound to ADDRESS (empty: all addresses)."""
    try:
        container = int(port["container"])
        host = int(port.get("host") or container)
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"port needs numeric 'container' (and 'host'): {port!r}") from exc
    protocol = port.get("protocol") or "tcp"
    if address and ":" in address:
        address = f"[{address}]"
    prefix = f"{address}:" if address else ""
    return f"{prefix}{host}:{container}/{protocol}"


def is_ip_address(value: str) -> bool:
    """True for an IPv4 or IPv6 address (what Docker accepts as a bind address)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def volume_mount(volume: dict) -> dict:
    """A named volume (``name``) or a host directory (``path``) as a docker_container mount."""
    mount = {"target": volume["mount"], "read_only": bool(volume.get("read_only", False))}
    if volume.get("name"):
        mount.update(type="volume", source=volume["name"])
    elif volume.get("path"):
        mount.update(type="bind", source=volume["path"])
    else:
        raise SpecError(f"a volume needs 'name' (named volume) or 'path' (host directory): {volume!r}")
    return mount


def stringify_values(env: dict | None) -> dict:
    """Docker env values must be strings; booleans become true/false as shells expect."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return {str(key): text(value) for key, value in (env or {}).items()}


def config_hash(files: dict[str, str], secrets: dict[str, str]) -> str:
    """SHA-256 over every rendered file and secret (names and contents), order-independent."""
    digest = hashlib.sha256()
    for kind, entries in (("config", files), ("secret", secrets)):
        for name in sorted(entries):
            data = entries[name].encode("utf-8")
            digest.update(f"{kind}\0{name}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def normalize(spec: dict, role: str) -> dict:
    """Check a container description against its schema (module_utils/container_schema.py) and fill its defaults.

    Raises SpecError naming ROLE, the container and every key that is missing, unknown (with its path) or of the
    wrong type: a misspelt key would otherwise be ignored and its default apply.
    """
    missing = [key for key in REQUIRED if not spec.get(key)]
    if missing:
        raise SpecError(f"{role}: a container description needs {', '.join(missing)}: {sorted(spec)}")
    wrong = problems(spec, f"container {spec['name']}")
    if wrong:
        raise SpecError(f"{role}: {'; '.join(wrong)}")
    spec = {**CONTAINER_DEFAULTS, **{k: v for k, v in spec.items() if v is not None}}
    spec["role"] = role
    if "uid" in spec and "gid" not in spec:
        spec["gid"] = spec["uid"]
    return spec


def directory(spec: dict, config_root: str) -> str:
    """The host directory of a container: ``<config root>/<name>`` with ``config/`` and ``secrets/``."""
    return f"{config_root}/{spec['name']}"


def mounts(spec: dict, config_root: str) -> list[dict]:
    """Volumes, then the config files (each at its mount path, or the whole directory at config_dir), then the secrets.

    A container that reloads its configuration (``reload``) gets the directory: a bind-mounted
    file keeps pointing at the replaced file, a mounted directory shows the new one.
    """
    result = [volume_mount(v) for v in spec.get("volumes") or []]
    base = directory(spec, config_root)
    if spec.get("config_dir"):
        result.append({"type": "bind", "source": f"{base}/config", "target": spec["config_dir"], "read_only": True})
    for item in spec.get("config_files") or []:
        if item.get("mount") and not spec.get("config_dir"):
            result.append({"type": "bind", "source": f"{base}/config/{item['name']}", "target": item["mount"], "read_only": True})
    if spec.get("secrets"):
        result.append({"type": "bind", "source": f"{base}/secrets", "target": SECRETS_MOUNT, "read_only": True})
    return result


def published_ports(spec: dict, stack: dict) -> list[str]:
    """The container's ``published_ports`` option (see ``port_bindings``)."""
    return [port_binding(port, address) for address, port in port_bindings(spec, stack)]


def port_bindings(spec: dict, stack: dict) -> list[tuple[str, dict]]:
    """Each published port with its address: ``ports`` on the publish address, when the container publishes and the
    stack does or the container is the edge proxy; ``peer_ports``, what the stack's other hosts reach, on this host's
    private address (``peer_address``) when another host needs them.

    The edge proxy (``edge: true``) is the one service a prod stack, which publishes nothing else, still publishes.
    """
    bindings = []
    if (stack["publish_ports"] or spec.get("edge")) and spec.get("publish", True):
        bindings = [(stack["publish_address"], port) for port in spec.get("ports") or []]
    if stack.get("peer_address"):
        bindings += [(stack["peer_address"], port) for port in spec.get("peer_ports") or []]
    return bindings


def labels(spec: dict, stack: dict, digest: str) -> dict:
    """The container's own labels plus project, service, role and config hash."""
    return {
        **{str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
        LABEL_PROJECT: stack["project"],
        LABEL_SERVICE: spec["name"],
        LABEL_ROLE: spec["role"],
        LABEL_CONFIG_HASH: digest,
    }


def user(spec: dict) -> str | None:
    """``uid:gid`` when the description names a uid."""
    if spec.get("uid") is None:
        return None
    return f"{spec['uid']}:{spec.get('gid', spec['uid'])}"


def docker_container_args(spec: dict, stack: dict, image_ref: str, digest: str) -> dict:
    """Options for community.docker.docker_container: hardened, strict, started (the health wait is separate)."""
    args: dict[str, Any] = {
        "name": spec["name"],
        "image": image_ref,
        "pull": stack["pull"],
        "env": stringify_values(spec.get("env")),
        "hostname": spec.get("hostname") or spec["name"],
        "labels": labels(spec, stack, digest),
        "mounts": mounts(spec, stack["config_root"]),
        "tmpfs": list(spec.get("tmpfs") or []),
        "read_only": bool(spec["read_only"]),
        "published_ports": published_ports(spec, stack),
        "networks": [{"name": stack["network"], "aliases": list(spec.get("aliases") or [])}],
        "healthcheck": spec["healthcheck"],
        "memory": str(spec["memory"]),
        "memory_swap": str(spec["memory"]),
        "cpus": float(spec["cpus"]),
        "pids_limit": int(spec["pids_limit"]),
        "cap_drop": ["ALL"],
        "capabilities": list(spec.get("cap_add") or []),
        "security_opts": ["no-new-privileges:true"],
        "init": bool(spec["init"]),
        "stop_timeout": int(stack["stop_timeout"]),
        "restart_policy": stack["restart_policy"],
        "log_driver": "json-file",
        "log_options": {"max-size": str(stack["log_max_size"]), "max-file": str(stack["log_max_files"])},
        # Strict: a removed env var, port, mount or label recreates the container;
        # community.docker's default would keep what is no longer described.
        "comparisons": {"*": "strict"},
        "state": "started",
    }
    for key in ("command", "entrypoint", "shm_size", "stop_signal"):
        if spec.get(key) is not None:
            args[key] = spec[key]
    if spec.get("etc_hosts"):
        # Names outside the project network, e.g. host.docker.internal: host-gateway (the Docker host itself).
        args["etc_hosts"] = {str(name): str(address) for name, address in dict(spec["etc_hosts"]).items()}
    if user(spec):
        args["user"] = user(spec)
    digest_of_args = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()
    args["labels"][LABEL_SPEC_HASH] = digest_of_args
    return args


def is_described(args: dict, state: dict | None, image_id: str | None) -> bool:
    """Whether a container exists as ARGS describe it: deployed with the same options (spec hash), from the image
    the reference names now."""
    if not state or image_id is None:
        return False
    return (state.get("image") == image_id
            and (state.get("labels") or {}).get(LABEL_SPEC_HASH) == args["labels"][LABEL_SPEC_HASH])


def is_current(args: dict, state: dict | None, image_id: str | None) -> bool:
    """Whether a container already runs exactly ARGS: described by them (``is_described``), running, not
    restarting, healthy (or without a health check).

    Only then may a deploy leave it without asking docker_container; anything else - a changed
    description, config, secret or image, a stopped, unhealthy or stale container - needs work.
    """
    return (is_described(args, state, image_id) and state.get("running") is True and not state.get("restarting")
            and state.get("health") in ("healthy", None))


def what_changed(args: dict, state: dict, image_id: str | None) -> str:
    """What differs between a running container and ARGS, in words, for the message of a change that failed."""
    labels = state.get("labels") or {}
    parts = []
    if state.get("image") != image_id:
        parts.append(f"its image ({args['image']})")
    if labels.get(LABEL_CONFIG_HASH) != args["labels"][LABEL_CONFIG_HASH]:
        parts.append("its configuration files or secrets")
    return " and ".join(parts) or "its container options (command, environment, limits, mounts or ports)"


def staged(spec: dict, config_root: str) -> dict[str, str]:
    """Where a container's next files wait for their test: live directory -> staging directory."""
    base = directory(spec, config_root)
    return {f"{base}/config": f"{base}/config.next", f"{base}/secrets": f"{base}/secrets.next"}


def saved(spec: dict, config_root: str) -> dict[str, str]:
    """Where a container's last good files are kept while its new ones are proven: live directory -> copy."""
    base = directory(spec, config_root)
    return {f"{base}/config": f"{base}/config.previous", f"{base}/secrets": f"{base}/secrets.previous"}


def config_test(spec: dict) -> dict | None:
    """How the engine checks a container's next files without serving: ``config_test`` (``postgres -C``), or
    the test of a container that reloads (``nginx -t``); ``{test, entrypoint}``, or None."""
    test = spec.get("config_test") or spec.get("reload")
    if not test or not test.get("test"):
        return None
    return {"test": list(test["test"]), "entrypoint": test.get("entrypoint")}


def config_test_args(spec: dict, stack: dict, image_ref: str) -> dict:
    """A one-off container of the new image that tests the staged files where the service will read them."""
    test = config_test(spec)
    if test is None:
        raise SpecError(f"{spec['name']} has no configuration test")
    base = directory(spec, stack["config_root"])
    # entrypoint: a test tool other than the image's entrypoint (promtool in the prometheus image, postgres itself).
    job = {"name": f"{spec['name']}-config-test", "image": spec["image"], "command": test["test"],
           "uid": spec.get("uid"), "gid": spec.get("gid", spec.get("uid")), "memory": spec.get("memory"), "env": spec.get("env"),
           "entrypoint": test["entrypoint"], "etc_hosts": spec.get("etc_hosts")}
    args = job_args(job, stack, image_ref)
    if spec.get("config_dir"):
        mounts = [{"type": "bind", "source": f"{base}/config.next", "target": spec["config_dir"], "read_only": True}]
    else:
        mounts = [{"type": "bind", "source": f"{base}/config.next/{item['name']}", "target": item["mount"], "read_only": True}
                  for item in spec.get("config_files") or [] if item.get("mount")]
    if spec.get("secrets") or spec.get("config_dir"):
        mounts.append({"type": "bind", "source": f"{base}/secrets.next", "target": SECRETS_MOUNT, "read_only": True})
    args["mounts"] = mounts
    args["tmpfs"] = list(spec.get("tmpfs") or [])
    args["read_only"] = bool(spec.get("read_only"))
    return args


def job_args(job: dict, stack: dict, image_ref: str) -> dict:
    """Options for a one-off container run to completion (backup, restore, migration), hardened like services."""
    base = {
        "name": job["name"],
        "image": image_ref,
        "pull": stack["pull"],
        "command": job["command"],
        "env": stringify_values(job.get("env")),
        "mounts": [volume_mount(v) for v in job.get("volumes") or []],
        "networks": [{"name": stack["network"]}],
        "labels": {LABEL_PROJECT: stack["project"], LABEL_JOB: job["name"]},
        "cap_drop": ["ALL"],
        "capabilities": list(job.get("cap_add") or []),
        "security_opts": ["no-new-privileges:true"],
        "memory": str(job.get("memory") or "512m"),
        "memory_swap": str(job.get("memory") or "512m"),
        "pids_limit": int(job.get("pids_limit") or 512),
        "detach": False,
        "cleanup": True,
        # An image's VOLUME that the job does not mount gets an anonymous volume: removed with the job.
        "keep_volumes": False,
        "recreate": True,
        "state": "started",
        "output_logs": True,
    }
    if job.get("secrets_from"):
        base["mounts"].append({"type": "bind", "source": f"{stack['config_root']}/{job['secrets_from']}/secrets",
                               "target": SECRETS_MOUNT, "read_only": True})
    if job.get("entrypoint") is not None:
        base["entrypoint"] = job["entrypoint"]
    if job.get("network_mode"):
        # Another container's network namespace (container:<name>): its localhost, its /etc/hosts.
        base["network_mode"] = str(job["network_mode"])
        del base["networks"]
    elif job.get("etc_hosts"):
        base["etc_hosts"] = {str(name): str(address) for name, address in dict(job["etc_hosts"]).items()}
    if job.get("uid") is not None:
        base["user"] = f"{job['uid']}:{job.get('gid', job['uid'])}"
    return base


def _compose_duration(value: Any) -> Any:
    return value if isinstance(value, str) else f"{value}s"


def _compose_escape(value: Any) -> Any:
    """Compose interpolates $VAR in every string of the file; the descriptions mean a literal $."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [_compose_escape(item) for item in value]
    if isinstance(value, dict):
        return {key: _compose_escape(item) for key, item in value.items()}
    return value


def compose_service(spec: dict, stack: dict, image_ref: str, digest: str) -> dict:
    """The same container as a compose service, for the benchmark's `docker compose up --wait`."""
    args = docker_container_args(spec, stack, image_ref, digest)
    service: dict[str, Any] = {
        "image": image_ref,
        "container_name": args["name"],
        "hostname": args["hostname"],
        "environment": args["env"],
        "labels": args["labels"],
        "volumes": [{"type": m["type"], "source": m["source"], "target": m["target"], "read_only": m["read_only"]}
                    for m in args["mounts"]],
        "tmpfs": args["tmpfs"],
        "read_only": args["read_only"],
        "ports": args["published_ports"],
        "networks": {"default": {"aliases": args["networks"][0]["aliases"]}},
        "healthcheck": {k: (_compose_duration(v) if k in ("interval", "timeout", "start_period") else v)
                        for k, v in args["healthcheck"].items()},
        "mem_limit": args["memory"],
        "memswap_limit": args["memory_swap"],
        "cpus": args["cpus"],
        "pids_limit": args["pids_limit"],
        "cap_drop": args["cap_drop"],
        "cap_add": args["capabilities"],
        "security_opt": args["security_opts"],
        "init": args["init"],
        "stop_grace_period": f"{args['stop_timeout']}s",
        "restart": args["restart_policy"],
        "logging": {"driver": args["log_driver"], "options": args["log_options"]},
        "pull_policy": "never" if stack["pull"] == "never" else "missing",
    }
    for key in ("command", "entrypoint", "shm_size", "stop_signal", "user"):
        if key in args:
            service[key] = args[key]
    return _compose_escape(service)
