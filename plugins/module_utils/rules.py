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
    - {keys: redis_config, pattern: "[a-z][a-z0-9-]*", msg: "must be a Redis directive", scalar: true, reserved: [port]}
    - {multiline: [postgres_tls_cert, postgres_tls_key]}
    - {no_config: [minio_policies], reaches: "MinIO's admin API as JSON policy documents"}
    - {messages: app_spec_problems, about: app_components}  # a check in code: each message names its place

One rule holds for every input of every role without being listed: no key or string anywhere in a value
may hold a line break or another control character (``control_characters``), so that no value can become a
directive of its own in a configuration file, a command line or an environment file. A role lists the inputs
that are text of several lines by design (PEM certificates) as ``multiline``. Every free-form map (an input of
type dict without suboptions) has its keys checked in the engine's own key syntax by a ``keys`` rule, or is
declared ``no_config`` with what it reaches instead (tests/unit/test_role_specs.py holds every role to it).
A map with declared sub-options takes only those keys: an unknown one is named with its path (``unknown_keys``).
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


#: Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: what ends a line somewhere.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Keys shown as they are in a path (settings names such as log.retention.ms); others are quoted.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _where(path: str, key: Any) -> str:
    return f"{path}.{key}" if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else f"{path}[{key!r}]"


def _control_name(text: str) -> str:
    found = _CONTROL.search(text).group()
    return {"\n": "a line break (\\n)", "\r": "a carriage return (\\r)", "\t": "a tab"}.get(found, f"U+{ord(found):04X}")


def control_characters(name: str, value: Any, path: str | None = None) -> list[str]:
    """Where VALUE (an input named NAME) holds a control character, in a key or a string at any depth.

    The shared rule of every input: a value must never end a line of the file, command or environment it goes
    into. Keys are shown (they are names); values never are (they may be secrets).
    """
    path = path or name
    inner = path[len(name):].lstrip(".")
    errors = []
    if isinstance(value, str):
        if _CONTROL.search(value):
            errors.append(f"{name}: {'the value of ' + inner if inner else 'the value'} holds {_control_name(value)}; "
                          "a value must be one line of printable text (it could otherwise become configuration of its own)")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _CONTROL.search(key):
                errors.append(f"{name}: the key {key!r}{' of ' + inner if inner else ''} holds {_control_name(key)}; "
                              "keys must be one line of printable text")
                continue
            errors.extend(control_characters(name, item, _where(path, key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            errors.extend(control_characters(name, item, f"{path}[{index}]"))
    return errors


def unknown_keys(options: dict, params: Any, path: str = "") -> list[str]:
    """Every key an argument spec does not declare, at any depth, each named with its path.

    OPTIONS is an argument spec's options (name to option spec), PARAMS the values by option name. Every option
    of type dict with options, and of type list with elements dict and options, is walked down to its last
    level; a key its options (or their aliases) do not declare is named with where it is and what is known::

        app_components[0].processes[1]: unknown key 'ports' (known: command, cpus, env, ...)

    Free-form maps (no options) are not walked, and values of another type are left to the type checks.
    """
    errors: list[str] = []
    if not isinstance(params, dict):
        return errors
    for name, spec in (options or {}).items():
        sub = (spec or {}).get("options")
        value = params.get(name)
        if not sub or value is None:
            continue
        where = f"{path}.{name}" if path else str(name)
        if spec.get("type") == "dict":
            items = [(where, value)]
        elif spec.get("type") == "list" and spec.get("elements") == "dict" and isinstance(value, list):
            items = [(f"{where}[{index}]", item) for index, item in enumerate(value)]
        else:
            continue
        known = set(sub).union(*((option or {}).get("aliases") or [] for option in sub.values()))
        for at, item in items:
            if not isinstance(item, dict):
                continue
            unknown = [key for key in item if key not in known]
            if unknown:
                keys = ", ".join(repr(key) for key in unknown)
                errors.append(f"{at}: unknown key{'s' if len(unknown) > 1 else ''} {keys} (known: {', '.join(sorted(sub))})")
            errors.extend(unknown_keys(sub, item, at))
    return errors


def maps_at(value: Any, at: str) -> list[dict]:
    """The maps found in VALUE along AT: segments separated by '.', where ``[]`` stands for every item of a list
    and ``*`` for every value of a map (``[].processes[].env``: the env of every process of every component);
    missing parts are skipped."""
    found = [value]
    for segment in filter(None, at.replace("[]", ".[]").split(".")):
        step = []
        for item in found:
            if segment == "[]":
                step.extend(item if isinstance(item, list) else [])
            elif segment == "*":
                step.extend(item.values() if isinstance(item, dict) else [])
            elif isinstance(item, dict) and item.get(segment) is not None:
                step.append(item[segment])
        found = step
    return [item for item in found if isinstance(item, dict)]


def _keys(rule: dict, ctx: RuleContext) -> list[str]:
    name = rule["keys"]
    where = f"{rule['at'].strip('.')}" if rule.get("at") else ""
    errors, bad, taken, nested = [], [], [], []
    for mapping in maps_at(ctx.value(name), rule.get("at", "")):
        for key, value in mapping.items():
            if not (isinstance(key, str) and re.fullmatch(rule["pattern"], key)):
                bad.append(key)
            elif key in (rule.get("reserved") or []):
                taken.append(key)
            elif rule.get("scalar") and not _scalar(value, rule.get("lists", False)):
                nested.append(key)
    of = f" of {where}" if where else ""
    if bad:
        errors.append(f"{name}: every key{of} {rule['msg']}; got {', '.join(repr(k) for k in bad)}")
    if taken:
        errors.append(f"{name}: {', '.join(sorted(set(taken)))} {rule.get('reserved_msg', 'is set by the role; use its own variable')}")
    if nested:
        allowed = "a string, a number or a boolean" + (" (or a list of them)" if rule.get("lists") else "")
        errors.append(f"{name}: the value of {', '.join(map(str, nested))}{of} must be {allowed}, not "
                      f"{'a map or a list of maps' if rule.get('lists') else 'a list or a map'}")
    return errors


def _scalar(value: Any, lists: bool) -> bool:
    """A value a file takes as one setting: text, a number, a boolean - or, where LISTS, a list of those."""
    if isinstance(value, (str, int, float, bool)):
        return True
    return lists and isinstance(value, list) and all(isinstance(item, (str, int, float, bool)) for item in value)


def _declaration(rule: dict, ctx: RuleContext) -> list[str]:
    """``multiline`` and ``no_config`` check nothing themselves: they say which inputs the shared rules treat otherwise."""
    return []


def declared(rules_of_role: list[dict], kind: str) -> set[str]:
    """The variables a role declares with KIND (``multiline``, ``no_config``), read from its rules as they stand."""
    names: set[str] = set()
    for rule in rules_of_role or []:
        if isinstance(rule, dict) and kind in rule:
            names.update(_names(rule[kind]))
    return names


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


def _messages(rule: dict, ctx: RuleContext) -> list[str]:
    """A role's own check in code (a filter): the variable named holds its messages, each naming its place."""
    value = ctx.value(rule["messages"])
    return [str(message) for message in (value if isinstance(value, list) else [value]) if message]


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
    "keys": _keys,
    "multiline": _declaration,
    "no_config": _declaration,
    "messages": _messages,
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
    if kind in ("multiline", "no_config"):
        return _names(rule[kind])[0]
    if kind == "messages":
        return str(rule.get("about") or rule[kind])
    return _names(rule[kind])[0]


def check(rule: dict, ctx: RuleContext) -> list[str]:
    """Messages for every way the inputs break RULE (empty when they follow it)."""
    kind = rule_kind(rule)
    if "when" in rule and not _truthy(ctx.evaluate(rule["when"])):
        return []
    return KINDS[kind](rule, ctx)
