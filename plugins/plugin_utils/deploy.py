# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""From the roles' descriptions to what runs: the stack checks, start order, rendered files and container options."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ansible.errors import AnsibleError
from ansible_collections.appstack.platform.plugins.module_utils import containers, images, placement
from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, StackError, service_roles, short_message

#: Where the shared path's knobs come from (roles/service/defaults/main.yml).
SETTINGS = {
    "project": "service_project",
    "network": "service_network",
    "config_root": "service_config_root",
    "publish_ports": "service_publish_ports",
    "publish_address": "service_publish_address",
    "restart_policy": "service_restart_policy",
    "log_max_size": "service_log_max_size",
    "log_max_files": "service_log_max_files",
    "stop_timeout": "service_stop_timeout",
    "log_lines": "service_log_lines_on_failure",
    "full_compare": "service_full_compare",
    "image_source": "image_factory_source",
    "image_sources": "image_factory_sources",
    "registry": "image_factory_registry",
    "namespace": "image_factory_namespace",
    "catalog": "image_factory_catalog",
}
#: Roles every run reads besides the services: stack-wide inputs, the shared path's knobs, the image catalog.
SUPPORT_ROLES = ["stack", "service", "image_factory"]
#: The source of a container whose spec names its image by reference (``image_ref``), outside the catalog.
EXTERNAL = "external"


def settings(stack: Stack) -> dict:
    """The stack-wide settings of the shared path, templated, with where this host's services are reached."""
    values = {key: stack.value(name) for key, name in SETTINGS.items()}
    values["publish_ports"] = _bool(values["publish_ports"])
    values["full_compare"] = _bool(values["full_compare"])
    values["image_sources"] = values["image_sources"] or {}
    values["pull"] = pull_policy(values["image_source"])
    values["peer_addresses"] = peer_addresses(stack)
    return values


def inventory(stack: Stack) -> tuple[dict, dict, str]:
    """The run's inventory as Ansible gives it to every task: groups, hostvars and this host's name."""
    return (stack.variables.get("groups") or {}, stack.variables.get("hostvars") or {},
            str(stack.variables.get("inventory_hostname", "localhost")))


def _enabled(stack: Stack) -> list[str]:
    """The services of the whole stack (``stack_services``), on every host."""
    return stack.value("stack_services") if stack.defined("stack_services") else []


def peer_addresses(stack: Stack) -> dict[str, str]:
    """For each enabled service that another host of the stack reaches: this host's private address, where its
    ``peer_ports`` are published (placement.py); an empty string for the others."""
    groups, hostvars, host = inventory(stack)
    services = _enabled(stack)
    address = placement.private_address(hostvars, host)
    return {service: address if placement.reached_from_elsewhere(service, services, groups) else ""
            for service in services}


def peer_firewall(stack: Stack, planned: list[dict]) -> dict:
    """What appstack.platform.peer_firewall needs on this host: the peer ports its containers publish, and the
    private addresses of every host of the stack (the only sources allowed to reach them)."""
    groups, hostvars, _host = inventory(stack)
    addresses = peer_addresses(stack)
    ports = []
    for item in planned:
        address = addresses.get(item["spec"]["role"])
        ports += [{"address": address, "port": int(port.get("host") or port["container"]),
                   "protocol": port.get("protocol") or "tcp"} for port in item["spec"].get("peer_ports") or [] if address]
    # Two containers publishing one port are the preflight's to refuse; the module writes one rule per port anyway.
    sources = sorted({placement.private_address(hostvars, host) for host in placement.stack_hosts(_enabled(stack), groups)})
    return {"ports": ports, "sources": sources}


def _own_settings(conf: dict, role: str) -> dict:
    """The settings one role's containers are run with: the stack's, with its peer address."""
    return {**conf, "peer_address": conf["peer_addresses"].get(role, "")}


def pull_policy(source: str) -> str:
    """docker_container's pull option for an image from SOURCE: only registry images are pulled."""
    return "missing" if source == "registry" else "never"


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def start_waves(stack: Stack, services: list[str]) -> list[list[str]]:
    """Services grouped so each starts after the enabled services in its ``<role>_start_after``."""
    after = {}
    for role in services:
        name = f"{role}_start_after"
        wanted = stack.value(name) if stack.defined(name) else []
        after[role] = [dep for dep in wanted or [] if dep in services]
    waves: list[list[str]] = []
    placed: set[str] = set()
    while len(placed) < len(services):
        wave = [role for role in services if role not in placed and set(after[role]) <= placed]
        if not wave:
            loop = [role for role in services if role not in placed]
            raise StackError(f"appstack_services: the start order of {', '.join(loop)} has a cycle "
                             f"({'; '.join(f'{r} after {after[r]}' for r in loop)})")
        waves.append(wave)
        placed.update(wave)
    return waves


def check_services_list(services: Any) -> list[str]:
    """Errors of the service list itself (appstack_services)."""
    known = service_roles()
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        return [f"appstack_services: must be a list of service names from {', '.join(known)}; got {services!r}"]
    errors = [f"appstack_services: {s!r} is not a service of this collection; known: {', '.join(known)}"
              for s in services if s not in known]
    duplicates = sorted({s for s in services if services.count(s) > 1})
    if duplicates:
        errors.append(f"appstack_services: {', '.join(duplicates)} listed more than once")
    return errors


def variable_of(message: str) -> str:
    """The variable a message is about: its text before the first ':', without a path (postgres_users[0].name)."""
    return re.split(r"[\[.:]", message, maxsplit=1)[0]


def check_stack(stack: Stack, services: list[str]) -> tuple[list[str], list[dict]]:
    """Every error of the run at once and, when there is none, the plan.

    Each role's argument spec and rules first; then what the services do together (host ports,
    container names, start order), over every service whose containers can be described -
    a role with bad inputs still takes part when its description renders without its files.
    """
    errors: list[str] = []
    no_log: set = set()
    broken: set[str] = set()
    # A service is checked on the hosts that run it (rules may depend on where it runs), the platform roles everywhere.
    others = set(service_roles()) - set(services)
    for role in [role for role in stack.roles if role not in others]:
        role_errors, secrets = stack.argument_errors(role)
        violations, unusable = stack.rule_errors(role)
        # A rule about a variable that is already reported (mistyped, undefined) would only repeat it.
        reported = {variable_of(error) for error in role_errors}
        role_errors += [v for v in violations if variable_of(v) not in reported] + ([] if role_errors else unusable)
        no_log |= secrets
        errors.extend(role_errors)
        if role_errors:
            broken.add(role)
    planned: list[dict] = []
    if services:
        for role in services:
            try:
                planned.extend(plan(stack, [role], render=role not in broken))
                if role not in broken:
                    configure_steps(stack, role)
            except (AnsibleError, ValueError) as exc:
                if role not in broken:
                    errors.append(short_message(exc))
        try:
            start_waves(stack, services)
            errors.extend(_port_conflicts(planned, settings(stack)))
        except AnsibleError as exc:
            errors.append(short_message(exc))
        errors.extend(_name_conflicts(planned))
    return [redact(error, no_log) for error in errors], ([] if errors else planned)


def notices(stack: Stack, services: list[str]) -> list[str]:
    """What the services want the operator to know once per run (``<role>_notices``, lines of text), for example
    that a part of a service was left out and how to add it."""
    found = []
    for role in services:
        name = f"{role}_notices"
        if stack.defined(name):
            found.extend(str(line) for line in stack.value(name) or [] if line)
    return found


def endpoints(stack: Stack, services: list[str]) -> dict[str, list[str]]:
    """How to reach each service (``<role>_endpoints``, lines of text), for the end of a site run."""
    found = {}
    for role in services:
        name = f"{role}_endpoints"
        if stack.defined(name):
            found[role] = [str(line) for line in stack.value(name)]
    return found


def image_look(stack: Stack, wanted: list[dict] | None = None) -> dict:
    """What the image factory asks the Docker host (probe options): its images and, to build, its extra CAs.

    WANTED (``images_of``) carries each image's source; without it the stack-wide source decides.
    """
    default = stack.value("image_factory_source")
    sources = {item.get("source") or default for item in wanted} if wanted is not None else {default}
    if not sources - {"registry"}:
        return {}
    return {"images": stack.value("image_factory_namespace"),
            "ca_dir": stack.value("image_factory_ca_dir") if "build" in sources else ""}


def images_of(planned: list[dict]) -> list[dict]:
    """The images the planned containers run, each once, with their source, as image_factory's ensure_all wants them.

    Images outside the catalog (``image_ref``) are their role's to provide."""
    wanted: dict[tuple, dict] = {}
    for item in planned:
        if item.get("source") == EXTERNAL:
            continue
        key = (item["spec"]["image"], str(item["spec"].get("image_tag") or ""))
        wanted.setdefault(key, {"name": key[0], "tag": key[1], **({"source": item["source"]} if item.get("source") else {})})
    return list(wanted.values())


def _port_conflicts(planned: list[dict], conf: dict) -> list[str]:
    """Two containers of this host publishing one port on one address (an empty address is every address)."""
    seen: dict[tuple, tuple[str, str]] = {}
    errors = []
    for item in planned:
        for address, port in containers.port_bindings(item["spec"], _own_settings(conf, item["spec"]["role"])):
            number, protocol = int(port.get("host") or port["container"]), port.get("protocol") or "tcp"
            owner = port.get("var") or f"{item['spec']['name']} port {port['container']}"
            clash = next((seen[key] for key in seen if key[1:] == (number, protocol)
                          and (not address or not key[0] or key[0] == address)), None)
            where = address or "all addresses"
            if clash:
                other = "" if clash[1] == where else f" on {clash[1]}"
                errors.append(f"{owner}: host port {number}/{protocol} on {where} is already published by "
                              f"{clash[0]}{other}; give one of them another host port")
            else:
                seen[(address, number, protocol)] = (owner, where)
    return errors


def _name_conflicts(planned: list[dict]) -> list[str]:
    names: dict[str, str] = {}
    errors = []
    for item in planned:
        name, role = item["spec"]["name"], item["spec"]["role"]
        if name in names:
            errors.append(f"{role}: container name {name} is also used by {names[name]}; set a different container name")
        names[name] = role
    return errors


def plan(stack: Stack, services: list[str], render: bool = True) -> list[dict]:
    """Each container of SERVICES with its rendered files and secrets, config hash, image and docker options."""
    conf = settings(stack)
    planned = []
    for role in services:
        for spec in stack.container_specs(role):
            files = {}
            for item in spec.get("config_files") or []:
                if "content" in item:
                    files[item["name"]] = str(item["content"])
                elif render:
                    files[item["name"]] = stack.render_file(role, item["template"])
            secrets = {}
            for key, value in (spec.get("secrets") or {}).items():
                if isinstance(value, dict):
                    secrets[str(key)] = stack.render_file(role, value["template"]) if render else ""
                else:
                    secrets[str(key)] = str(value)
            # A container that reloads its files is not recreated for them: they are tested and reloaded.
            digest = containers.config_hash({}, {}) if spec.get("reload") else containers.config_hash(files, secrets)
            if spec.get("image_ref"):
                # An image outside the catalog (a team's app), which its role provides: pulled only when asked.
                ref, source = str(spec["image_ref"]), EXTERNAL
                own = {**_own_settings(conf, role), "pull": "missing" if spec.get("pull") else "never"}
            else:
                # appstack_image_sources may name another source for this image or this service.
                source = images.source_for(spec["image"], role, conf["image_sources"], conf["image_source"])
                try:
                    ref = images.image_ref(conf["catalog"], spec["image"], spec.get("image_tag"), source,
                                           conf["registry"], conf["namespace"])
                except images.ImageError:
                    if render:
                        raise
                    ref = f"{spec['image']}:{spec.get('image_tag')}"
                own = {**_own_settings(conf, role), **({} if source == conf["image_source"] else {"pull": pull_policy(source)})}
            planned.append({
                "spec": spec,
                "files": files,
                "secrets": secrets,
                "digest": digest,
                "image_ref": ref,
                "source": source,
                "args": containers.docker_container_args(spec, own, ref, digest),
            })
    return planned


def configure_steps(stack: Stack, role: str) -> list[dict]:
    """ROLE's post-start steps (``<role>_configure``): modules run once its containers are healthy.

    Each step is ``{module, args, templates}``; ``templates`` maps an argument to a template of
    the role, rendered on the controller (for example a provisioning script).
    """
    name = f"{role}_configure"
    if not stack.defined(name):
        return []
    steps = []
    for step in stack.value(name) or []:
        if not step.get("module"):
            raise StackError(f"{role}: every step of {name} needs a module: {sorted(step)}")
        args = dict(step.get("args") or {})
        for argument, template in (step.get("templates") or {}).items():
            args[argument] = stack.render_file(role, template)
        name_of_step = step.get("name", step["module"])
        digest = hashlib.sha256(json.dumps({"module": step["module"], "args": args}, sort_keys=True, default=str).encode())
        record = re.sub(r"[^A-Za-z0-9_.-]+", "-", name_of_step).strip("-").lower()
        steps.append({"role": role, "module": step["module"], "args": args, "name": name_of_step,
                      "record": f"state/{record}.sha256", "digest": digest.hexdigest() + "\n"})
    return steps


def host_layout(planned: list[dict], conf: dict, staged: bool = True) -> dict:
    """Options for appstack.platform.prepare_host: every container's directories, files, secrets, network, volumes.

    Every container's files go to staging directories (``config.next``, ``secrets.next``) and are compared with
    the live ones: they go live only once their test passed (a container with a ``config_test`` or a ``reload``),
    and the live ones are kept until the new container is healthy. Without STAGED (a compose project, which has
    no test and no rollback) every file goes straight to its live place.
    """
    directories, files, secrets, prune, volumes, compare = [], [], [], [], [], []
    for item in planned:
        spec = item["spec"]
        uid, gid = spec.get("uid", 0), spec.get("gid", spec.get("uid", 0))
        base = containers.directory(spec, conf["config_root"])
        live = {"config": f"{base}/config", "secrets": f"{base}/secrets"}
        target = {kind: path + ".next" for kind, path in live.items()} if staged else dict(live)
        if staged:
            compare += [{"staged": target[kind], "live": live[kind]} for kind in live]
        directories.append({"path": base, "owner": 0, "group": gid, "mode": "0750"})
        for path in {**live, **{k + ".next": v for k, v in target.items()}}.values():
            secret_dir = path.endswith(("secrets", "secrets.next"))
            directories.append({"path": path, "owner": uid if secret_dir else 0, "group": gid,
                                "mode": "0700" if secret_dir else "0750"})
        layout = file_layout(item, target, uid, gid)
        for entry in layout["files"] + layout["secret_files"]:
            if staged:
                entry["diff_against"] = entry["path"].replace(".next/", "/")
        files += layout["files"]
        secrets += layout["secret_files"]
        prune += list(target.values())
        volumes += [{"name": v["name"], "labels": {containers.LABEL_PROJECT: conf["project"],
                                                   containers.LABEL_SERVICE: spec["name"]}}
                    for v in spec.get("volumes") or [] if v.get("name")]
    return {
        "directories": [dict(d) for d in {d["path"]: d for d in directories}.values()],
        "files": files,
        "secret_files": secrets,
        "prune": prune,
        "compare_dirs": compare,
        "networks": [{"name": conf["network"], "labels": {containers.LABEL_PROJECT: conf["project"]}}],
        "volumes": volumes,
    }


def file_layout(item: dict, target: dict[str, str], uid: int, gid: int) -> dict:
    """A container's rendered files and secrets as prepare_host entries in TARGET's config and secrets directories."""
    modes = {f["name"]: f.get("mode") or "0644" for f in item["spec"].get("config_files") or []}
    return {
        "files": [{"path": f"{target['config']}/{name}", "content": content, "owner": uid, "group": gid,
                   "mode": modes[name]} for name, content in sorted(item["files"].items())],
        "secret_files": [{"path": f"{target['secrets']}/{name}", "content": content, "owner": uid, "group": gid,
                          "mode": "0600"} for name, content in sorted(item["secrets"].items())],
    }
