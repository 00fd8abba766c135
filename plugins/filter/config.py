# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filter config_value: a free-form value in a configuration file's own quoting (documented in config_value.yml)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.module_utils import config_syntax


def config_value(value: Any, syntax: str) -> str:
    """VALUE quoted as one value of a postgres, redis or properties file."""
    try:
        return config_syntax.quote(value, syntax)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """appstack.platform configuration quoting filter."""

    def filters(self) -> dict:
        return {"config_value": config_value}
