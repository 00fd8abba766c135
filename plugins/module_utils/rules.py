# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The rules a role's inputs must follow beyond its argument spec, declared once and used by every role.

A role lists its rules as data (``<role>_preflight`` in its ``vars/main.yml``); each rule
is one of the kinds below and may carry ``when`` (a Jinja expression). Every message starts
with the variable it is about and says what is allowed, so an operator can fix a run
from its output alone::

    - {size: postgres_memory, min: 128m}
    - {port: postgres_host_port}
    - {prod_secret: postgres_superuser_password}
    - {factory_tag: postgres_image_tag, image: postgres}
    - {match: nginx_routes, attribute: timeout, optional: true, pattern: "[0-9]+[smhd]", msg: "must be a duration"}
    - {that: "postgres_backup_retention | int >= 1", msg: "postgres_backup_retention: keep at least 1 dump"}
"""

from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from ansible_collections.appstack.platform.plugins.module_utils.containers import is_ip_address
from ansible_collections.appstack.platform.plugins.module_utils.images import factory_refusal
from ansible_collections.appstack.platform.plugins.module_utils.sizes import parse_size


class RuleContext(Protocol):
    """What a rule may ask about the inputs it checks."""

    environment: str
    enabled_services: list[str] | None

    def value(self, name: str) -> Any:
        """The variable's effective (templated) value; raises on an undefined or broken template."""

    def default(self, name: str) -> Any:
        """The role's default for the variable, or None."""

    def evaluate(self, expression: str) -> Any:
        """A Jinja expression over the inputs."""

    def render(self, text: str) -> str:
        """A message with Jinja expressions in it."""


class RuleError(Exception):
    """A rule cannot be applied (broken rule data, not bad input)."""


PROD_SECRET_MIN = 16
PROD_PASSWORD_MIN = 12


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _size(rule: dict, ctx: RuleContext) -> list[str]:
    errors = []
    minimum = parse_size(rule.get("min", 0)) or 0
    for name in _names(rule["size"]):
        value = ctx.value(name)
        if rule.get("auto") and value == "auto":
            continue
        size = parse_size(value)
        if size is not None and size >= minimum:
            continue
        allowed = "'auto' or a size" if rule.get("auto") else "a size"
        floor = f" of at least {rule['min']}" if rule.get("min") else ""
        errors.append(f"{name}: {value!r} must be {allowed}{floor} (e.g. 256m, 2g)")
    return errors


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


def _port(rule: dict, ctx: RuleContext) -> list[str]:
    errors = []
    for name in _names(rule["port"]):
        value = ctx.value(name)
        number = _integer(value)
        if number is None or not 1 <= number <= 65535:
            errors.append(f"{name}: {value!r} is not a port number between 1 and 65535")
    return errors


def _range(rule: dict, ctx: RuleContext) -> list[str]:
    name = rule["range"]
    value = ctx.value(name)
    number = _integer(value)
    if number is None or not rule["min"] <= number <= rule["max"]:
        return [f"{name}: {value!r} must be a whole number between {rule['min']} and {rule['max']}"]
    return []


def _match(rule: dict, ctx: RuleContext) -> list[str]:
    name = rule["match"]
    value = ctx.value(name)
    many = isinstance(value, list)
    items = value if many else [value]
    if rule.get("attribute"):
        items = [item.get(rule["attribute"]) if isinstance(item, dict) else item for item in items]
    if rule.get("optional"):
        items = [item for item in items if item is not None]
    bad = [item for item in items if not (isinstance(item, str) and re.fullmatch(rule["pattern"], item))]
    if not bad:
        return []
    if rule.get("secret"):
        return [f"{name}: {rule['msg']}"]
    if not many:
        return [f"{name}: {value!r} {rule['msg']}"]
    what = f"every {rule['attribute']}" if rule.get("attribute") else "every entry"
    return [f"{name}: {what} {rule['msg']}; got {', '.join(repr(b) for b in bad)}"]


def _prod_secret(rule: dict, ctx: RuleContext) -> list[str]:
    if ctx.environment != "prod":
        return []
    errors = []
    minimum = rule.get("min", PROD_SECRET_MIN)
    for name in _names(rule["prod_secret"]):
        value = ctx.value(name)
        default = ctx.default(name)
        if not isinstance(value, str) or len(value) < minimum or (default and value == default):
            errors.append(f"{name}: prod needs a real secret of at least {minimum} characters from vault, not the dev default")
    return errors


def _prod_passwords(rule: dict, ctx: RuleContext) -> list[str]:
    if ctx.environment != "prod":
        return []
    name = rule["prod_passwords"]
    attribute = rule.get("attribute", "password")
    minimum = rule.get("min", PROD_PASSWORD_MIN)
    short = [item.get("name", "?") for item in ctx.value(name) or []
             if isinstance(item, dict) and len(str(item.get(attribute) or "")) < minimum]
    if short:
        return [f"{name}: prod needs passwords of at least {minimum} characters (too short: {', '.join(map(str, short))})"]
    return []


def _prod_private(rule: dict, ctx: RuleContext) -> list[str]:
    if ctx.environment != "prod":
        return []
    name = rule["prod_private"]
    if _truthy(ctx.value(name)):
        return [f"{name}: prod publishes no port of this service on the host (only the edge proxy does); "
                "set it to false, clients use the project network"]
    return []


def _ip_address(rule: dict, ctx: RuleContext) -> list[str]:
    name = rule["ip_address"]
    value = ctx.value(name)
    if rule.get("empty") and value in ("", None):
        return []
    if isinstance(value, str) and is_ip_address(value):
        return []
    empty = " or empty (all addresses)" if rule.get("empty") else ""
    return [f"{name}: {value!r} must be an IPv4 or IPv6 address such as 127.0.0.1{empty}; Docker binds ports to addresses, not host names"]


def _needs(rule: dict, ctx: RuleContext) -> list[str]:
    if ctx.enabled_services is None or rule["needs"] in ctx.enabled_services:
        return []
    return [f"appstack_services: {rule.get('by', 'this service')} needs {rule['needs']}"
            f"{' (' + rule['because'] + ')' if rule.get('because') else ''}; add {rule['needs']} to appstack_services"]


def _factory_tag(rule: dict, ctx: RuleContext) -> list[str]:
    name = rule["factory_tag"]
    refusal = factory_refusal(ctx.value("image_factory_catalog"), rule["image"], str(ctx.value(name)),
                              ctx.value("image_factory_source"))
    return [f"{name}: {refusal}"] if refusal else []


def _that(rule: dict, ctx: RuleContext) -> list[str]:
    if _truthy(ctx.evaluate(rule["that"])):
        return []
    return [ctx.render(rule["msg"])]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


KINDS: dict[str, Callable[[dict, RuleContext], list[str]]] = {
    "size": _size,
    "port": _port,
    "range": _range,
    "match": _match,
    "prod_secret": _prod_secret,
    "prod_passwords": _prod_passwords,
    "prod_private": _prod_private,
    "ip_address": _ip_address,
    "needs": _needs,
    "factory_tag": _factory_tag,
    "that": _that,
}


def rule_kind(rule: dict) -> str:
    """The kind of a rule: the one key of KINDS it carries."""
    kinds = [key for key in rule if key in KINDS]
    if len(kinds) != 1:
        raise RuleError(f"a rule needs exactly one of {', '.join(KINDS)}: {rule!r}")
    return kinds[0]


def subject(rule: dict) -> str:
    """The variable a rule is about, for messages when the rule itself cannot be evaluated."""
    kind = rule_kind(rule)
    if kind == "that":
        return str(rule.get("msg", "")).split(":", 1)[0] or "rule"
    if kind == "needs":
        return "appstack_services"
    return _names(rule[kind])[0]


def check(rule: dict, ctx: RuleContext) -> list[str]:
    """Messages for every way the inputs break RULE (empty when they follow it)."""
    kind = rule_kind(rule)
    if "when" in rule and not _truthy(ctx.evaluate(rule["when"])):
        return []
    return KINDS[kind](rule, ctx)
