"""Filters that turn a service description into community.docker options."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: port_binding
short_description: Turn C({container, host, protocol}) into a published_ports entry bound to an address
options:
  _input:
    description: The port description.
    type: dict
    required: true
  address:
    description: Host address to bind; empty binds all addresses.
    type: str
"""


def port_binding(port: dict, address: str = "127.0.0.1") -> str:
    try:
        container = int(port["container"])
        host = int(port.get("host", container))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"port needs numeric 'container' (and 'host'): {port!r}") from exc
    protocol = port.get("protocol", "tcp")
    prefix = f"{address}:" if address else ""
    return f"{prefix}{host}:{container}/{protocol}"


def volume_mount(volume: dict) -> dict:
    """A named volume ({name, mount}) or a host directory ({path, mount})."""
    mount = {"target": volume["mount"], "read_only": bool(volume.get("read_only", False))}
    if "name" in volume:
        mount.update(type="volume", source=volume["name"])
    else:
        mount.update(type="bind", source=volume["path"])
    return mount


def file_mount(config_file: dict, directory: str) -> dict:
    return {
        "type": "bind",
        "source": f"{directory}/{config_file['name']}",
        "target": config_file["mount"],
        "read_only": True,
    }


def config_file_for(path: str, mount_dir: str, prefix: str = "") -> dict:
    """A template on the controller rendered as a config file mounted in mount_dir."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    if base.endswith(".j2"):
        base = base[:-3]
    return {"name": f"{prefix}{base}", "template": path, "mount": f"{mount_dir}/{base}"}


def stringify_values(env: dict) -> dict:
    """Docker env values must be strings; render booleans the way shells expect."""
    def text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return {str(key): text(value) for key, value in (env or {}).items()}


class FilterModule:
    def filters(self):
        return {
            "port_binding": port_binding,
            "volume_mount": volume_mount,
            "file_mount": file_mount,
            "stringify_values": stringify_values,
            "config_file_for": config_file_for,
        }
