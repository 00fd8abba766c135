# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The container description (``<role>_containers``): every key, its type and its default, in one place.

``OPTIONS`` is an argument spec (the form of a role's ``meta/argument_specs.yml`` options), checked with Ansible's
own ``ArgumentSpecValidator`` as the roles' inputs are (plugin_utils/stack.py). ``containers.normalize`` refuses a
description that does not follow it - an unknown key at any depth named with its path (``rules.unknown_keys``), a
wrong type, a missing required key - and fills the defaults declared here (``containers.CONTAINER_DEFAULTS``).
docs/container-schema.md explains every key; tests/unit/test_container_schema.py holds the two together.
"""

from __future__ import annotations

import re
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import NoLogError, SubParameterTypeError, UnsupportedError
from ansible_collections.appstack.platform.plugins.module_utils.sizes import parse_size

#: Docker's durations (community.docker's own pattern): 90s, 1m30s, 500ms; a bare number is not one.
_DURATION = re.compile(r"(?=\d)(\d+h)?(\d+m(?!s))?(\d+s)?(\d+ms)?(\d+us)?")


def size(value: Any) -> Any:
    """A memory size as Docker takes it (512m, 1g, 1GiB or a number of bytes): the type of memory and shm_size."""
    if parse_size(value) is None:
        raise TypeError(f"{value!r} is not a size (e.g. 256m, 2g)")
    return value


def duration(value: Any) -> Any:
    """A duration with its unit as Docker takes it (5s, 1m30s, 500ms): the type of the health check's times."""
    if not isinstance(value, str) or not _DURATION.fullmatch(value):
        raise TypeError(f"{value!r} is not a duration with a unit (e.g. 5s, 1m30s, 500ms)")
    return value


def _strings() -> dict:
    """A list of strings (a command in Docker's exec form, tmpfs mounts, aliases, capabilities)."""
    return {"type": "list", "elements": "str"}


#: A published port: in ``ports`` (the operator's, on the publish address) and ``peer_ports`` (the stack's other hosts').
_PORT = {
    "container": {"type": "int", "required": True},
    "host": {"type": "int"},
    "protocol": {"type": "str", "choices": ["tcp", "udp", "sctp"], "default": "tcp"},
    "var": {"type": "str"},
}

OPTIONS: dict[str, dict] = {
    # What runs.
    "name": {"type": "str", "required": True},
    "image": {"type": "str", "required": True},
    "image_tag": {"type": "str"},
    "image_ref": {"type": "str"},
    "pull": {"type": "bool", "default": False},
    "command": _strings(),
    "entrypoint": _strings(),
    "env": {"type": "dict"},
    "uid": {"type": "int"},
    "gid": {"type": "int"},
    "hostname": {"type": "str"},
    "labels": {"type": "dict"},
    # Its files.
    "config_files": {
        "type": "list", "elements": "dict",
        "required_one_of": [["template", "content"]], "mutually_exclusive": [["template", "content"]],
        "options": {
            "name": {"type": "str", "required": True},
            "template": {"type": "str"},
            "content": {"type": "str"},
            "mount": {"type": "str"},
            "mode": {"type": "str", "default": "0644"},
        },
    },
    "config_dir": {"type": "str"},
    "secrets": {"type": "dict"},
    "config_test": {"type": "dict", "options": {"test": {**_strings(), "required": True}, "entrypoint": _strings()}},
    "reload": {"type": "dict", "options": {
        "test": _strings(), "command": {**_strings(), "required": True}, "entrypoint": _strings()}},
    # Its storage.
    "volumes": {
        "type": "list", "elements": "dict",
        "required_one_of": [["name", "path"]], "mutually_exclusive": [["name", "path"]],
        "options": {
            "name": {"type": "str"},
            "path": {"type": "str"},
            "mount": {"type": "str", "required": True},
            "read_only": {"type": "bool", "default": False},
        },
    },
    "tmpfs": _strings(),
    "read_only": {"type": "bool", "default": False},
    # Its network.
    "ports": {"type": "list", "elements": "dict", "options": _PORT},
    "peer_ports": {"type": "list", "elements": "dict", "options": _PORT},
    "publish": {"type": "bool", "default": True},
    "edge": {"type": "bool", "default": False},
    "aliases": _strings(),
    "etc_hosts": {"type": "dict"},
    # Its health.
    "healthcheck": {"type": "dict", "required": True, "options": {
        "test": {**_strings(), "required": True},
        "interval": {"type": duration},
        "timeout": {"type": duration},
        "retries": {"type": "int"},
        "start_period": {"type": duration},
    }},
    "healthy_timeout": {"type": "int", "default": 180},
    # Its limits and privileges.
    "memory": {"type": size, "default": "512m"},
    "cpus": {"type": "float", "default": 1.0},
    "pids_limit": {"type": "int", "default": 512},
    "shm_size": {"type": size},
    "cap_add": _strings(),
    "init": {"type": "bool", "default": False},
    "stop_signal": {"type": "str"},
}

_VALIDATOR = ArgumentSpecValidator(OPTIONS)


def problems(spec: dict, where: str) -> list[str]:
    """What is wrong with the container description SPEC, each message starting with WHERE (``container <name>``).

    Unknown keys are named with their path and the known ones (``container x.ports[0]: unknown key 'hots' (known:
    container, host, protocol, var)``); Ansible's messages say the rest (types, choices, required keys).
    """
    # rules imports containers, which imports this module: rules is imported when a description is checked.
    from ansible_collections.appstack.platform.plugins.module_utils.rules import unknown_keys

    result = _VALIDATOR.validate(spec)
    unknown = unknown_keys({where: {"type": "dict", "options": OPTIONS}}, {where: spec})
    # Ansible reports an unknown key once more without its path; a wrong type once more as no_log and sub-option
    # errors (it looks for secrets and sub-options in the value it could not convert).
    repeated = (UnsupportedError, NoLogError, SubParameterTypeError) if unknown else (NoLogError, SubParameterTypeError)
    return unknown + [f"{where}: {error.msg}" for error in result.errors if not isinstance(error, repeated)]
