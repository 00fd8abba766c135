# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""What must change on a Kafka broker: the declaration against the broker's state (appstack.platform.kafka_provision).

:func:`plan` compares the declared topics, users and ACLs with the answers of the reading session
(read by kafka_model) and turns only the differences into tool commands. Everything the declaration
asks that the broker cannot do (fewer partitions, another replication factor) is refused, naming
every problem, before any command runs.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command
from ansible_collections.appstack.platform.plugins.module_utils.kafka_commands import (
    MECHANISM, admin_args, properties_value)
from ansible_collections.appstack.platform.plugins.module_utils.kafka_model import (
    Binding, KafkaStateError, answer_text, login_works, parse_acls, parse_topic_configs, parse_topics, parse_users)

SCRAM_ITERATIONS = 8192
#: Resource types and the kafka-acls flag that names one.
RESOURCE_FLAGS = {
    "TOPIC": "--topic",
    "GROUP": "--group",
    "CLUSTER": "--cluster",
    "TRANSACTIONAL_ID": "--transactional-id",
    "DELEGATION_TOKEN": "--delegation-token",
    "USER": "--user-principal",
}
OPERATIONS = ("ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
              "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS", "TWO_PHASE_COMMIT")
#: The shortcuts of a user's declaration: list -> (resource type, operations).
SHORTCUTS = {
    "produce": ("TOPIC", ("WRITE", "DESCRIBE")),
    "consume": ("TOPIC", ("READ", "DESCRIBE")),
    "groups": ("GROUP", ("READ", "DESCRIBE")),
}


# -- the declaration --------------------------------------------------------------------------------
def config_value(value: Any) -> str:
    """A declared topic config value as the broker stores it (booleans lower-case, lists comma-joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(config_value(item) for item in value)
    return str(value)


def _pattern(name: str) -> tuple[str, str]:
    """A declared resource name: ``orders`` (literal), ``events.*`` (prefixed ``events.``), ``*`` (every)."""
    if len(name) > 1 and name.endswith("*"):
        return name[:-1], "PREFIXED"
    return name, "LITERAL"


def operation_name(value: str) -> str:
    """A declared operation (``describe_configs``, ``DescribeConfigs``, ``IDEMPOTENT-WRITE``) as Kafka's enum name."""
    text = str(value).strip()
    if re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", text):
        text = re.sub(r"(?<!^)(?=[A-Z])", "_", text)
    return text.upper().replace("-", "_")


def operation_cli(operation: str) -> str:
    """Kafka's enum name (DESCRIBE_CONFIGS) as kafka-acls spells it (DescribeConfigs)."""
    return "".join(part.capitalize() for part in operation.split("_"))


def wanted_bindings(user: dict) -> set[Binding]:
    """The ACLs a declared user gets: its shortcuts (produce, consume, groups) and its own acls."""
    principal = f"User:{user['name']}"
    found = set()
    for shortcut, (resource_type, operations) in SHORTCUTS.items():
        for declared in user.get(shortcut) or []:
            name, pattern = _pattern(str(declared))
            found |= {Binding(resource_type, name, pattern, principal, "*", op, "ALLOW") for op in operations}
    for acl in user.get("acls") or []:
        found |= _acl_bindings(user["name"], principal, acl)
    return found


def _acl_bindings(user: str, principal: str, acl: dict) -> set[Binding]:
    """The bindings of one declared ACL of USER (one per operation)."""
    resource_type = str(acl.get("resource") or "topic").upper().replace("-", "_")
    if resource_type not in RESOURCE_FLAGS:
        raise KafkaStateError(f"user {user}: unknown ACL resource {acl.get('resource')!r} "
                              f"(one of {', '.join(t.lower() for t in RESOURCE_FLAGS)})")
    raw = "kafka-cluster" if resource_type == "CLUSTER" else str(acl.get("name") or "")
    if not raw:
        raise KafkaStateError(f"user {user}: an ACL on a {resource_type.lower()} needs a name")
    name, pattern = _pattern(raw)
    if acl.get("pattern"):
        pattern = str(acl["pattern"]).upper()
        name = raw
    found = set()
    for operation in acl.get("operations") or []:
        op = operation_name(operation)
        if op not in OPERATIONS:
            raise KafkaStateError(f"user {user}: unknown ACL operation {operation!r}")
        found.add(Binding(resource_type, name, pattern, principal, str(acl.get("host") or "*"), op,
                          str(acl.get("permission") or "allow").upper()))
    return found


# -- planning ---------------------------------------------------------------------------------------
def plan(topics: list[dict], topics_absent: list[str], users: list[dict], sasl: bool, state: dict,
         bootstrap: str, command_config: str) -> list[Command]:
    """The tool commands that bring the broker from STATE (the reading session's answers) to the declaration.

    Raises KafkaStateError, naming every problem, when the declaration asks what Kafka cannot do
    (fewer partitions, another replication factor): then nothing is to be run at all.
    """
    admin = admin_args(bootstrap, command_config)
    current = parse_topics(answer_text(state, "topics"))
    changes = _topic_changes(topics, topics_absent or [], current, parse_topic_configs(answer_text(state, "configs")),
                             admin)
    for number, name in enumerate(topics_absent or []):
        if name in current:
            changes.append(Command(f"delete.{number}", ["kafka-topics.sh", *admin, "--delete", "--topic", name],
                                   what=f"topic {name}: deleted (kafka_topics_absent)"))
    if sasl and users:
        changes += _user_changes(users, state, admin)
        changes += _acl_changes(users, parse_acls(answer_text(state, "acls")), admin)
    return changes


def _topic_changes(topics: list[dict], absent: list[str], current: dict, configs: dict,
                   admin: list[str]) -> list[Command]:
    """Creations, more partitions and config changes of the declared topics; KafkaStateError for what cannot be."""
    problems = []
    changes: list[Command] = []
    for number, topic in enumerate(topics):
        name = topic["name"]
        partitions = int(topic.get("partitions") or 1)
        factor = int(topic.get("replication_factor") or 1)
        wanted = {str(k): config_value(v) for k, v in (topic.get("configs") or {}).items()}
        live = current.get(name)
        if name in absent:
            problems.append(f"kafka_topics_absent: topic {name} is also declared in kafka_topics")
        elif live is None:
            changes += _create(number, name, partitions, factor, wanted, admin)
        else:
            problems += _refusals(name, partitions, factor, live)
            if partitions > live["partitions"]:
                changes.append(Command(f"partitions.{number}", ["kafka-topics.sh", *admin, "--alter", "--topic", name,
                                                                "--partitions", str(partitions)],
                                       what=f"topic {name}: partitions {live['partitions']} -> {partitions}"))
            changes += _alter_configs(number, name, wanted, configs.get(name, {}), admin)
    if problems:
        raise KafkaStateError("; ".join(problems) + "; nothing was changed")
    return changes


def _refusals(name: str, partitions: int, factor: int, live: dict[str, int]) -> list[str]:
    """Why an existing topic cannot take its declaration (fewer partitions, another replication factor)."""
    problems = []
    if partitions < live["partitions"]:
        problems.append(
            f"kafka_topics: topic {name} has {live['partitions']} partitions on the broker and is declared with {partitions}: "
            "Kafka cannot take partitions away (keys would move to other partitions); declare "
            f"{live['partitions']} or more, or create a new topic and move the data")
    if factor != live["replication_factor"]:
        problems.append(
            f"kafka_topics: topic {name} has replication factor {live['replication_factor']} on the broker and is declared "
            f"with {factor}: changing it needs a partition reassignment, which this role does not do")
    return problems


def _create(number: int, name: str, partitions: int, factor: int, wanted: dict[str, str], admin: list[str]) -> list[Command]:
    argv = ["kafka-topics.sh", *admin, "--create", "--topic", name, "--partitions", str(partitions),
            "--replication-factor", str(factor)]
    # kafka-topics splits each --config at '='; a value holding one is set right after the creation.
    later = {k: v for k, v in wanted.items() if "=" in v}
    for key in sorted(set(wanted) - set(later)):
        argv += ["--config", f"{key}={wanted[key]}"]
    settings = f" ({', '.join(f'{k}={v}' for k, v in sorted(wanted.items()))})" if wanted else ""
    commands = [Command(f"create.{number}", argv, what=f"topic {name}: created with {partitions} partition(s), "
                                                        f"replication factor {factor}{settings}")]
    if later:
        commands += _alter_configs(number, name, later, {}, admin, quiet=True)
    return commands


def _alter_configs(number: int, name: str, wanted: dict[str, str], have: dict[str, str], admin: list[str],
                   quiet: bool = False) -> list[Command]:
    """Set the declared configs that differ and remove the undeclared ones (back to the broker's default)."""
    changed = {k: v for k, v in wanted.items() if have.get(k) != v}
    removed = sorted(set(have) - set(wanted))
    if not changed and not removed:
        return []
    argv = ["kafka-configs.sh", *admin, "--alter", "--entity-type", "topics", "--entity-name", name]
    files = {}
    if changed:
        file_name = f"topic.{number}.properties"
        files[file_name] = "".join(f"{k}={properties_value(v)}\n" for k, v in sorted(changed.items()))
        argv += ["--add-config-file", file_name]
    if removed:
        argv += ["--delete-config", ",".join(removed)]
    parts = [f"{k}={v}" + (f" (was {have[k]})" if k in have else "") for k, v in sorted(changed.items())]
    parts += [f"{k} back to the broker default" for k in removed]
    return [Command(f"configs.{number}", argv, files=files,
                    what="" if quiet else f"topic {name}: {', '.join(parts)}")]


def _user_changes(users: list[dict], state: dict, admin: list[str]) -> list[Command]:
    """A SCRAM credential for each declared user that has none, or whose declared password does not log in."""
    known = parse_users(answer_text(state, "users"))
    changes = []
    for number, user in enumerate(users):
        name = user["name"]
        exists = MECHANISM in known.get(name, set())
        if exists:
            if f"login.{number}" not in state:
                raise KafkaStateError(f"no answer to the login check of user {name} (the session ended early)")
            if login_works(state[f"login.{number}"], name):
                continue
        file_name = f"scram.{number}.properties"
        changes.append(Command(
            f"user.{number}", ["kafka-configs.sh", *admin, "--alter", "--entity-type", "users", "--entity-name", name,
                               "--add-config-file", file_name],
            files={file_name: f"{MECHANISM}=iterations={SCRAM_ITERATIONS},password={properties_value(user['password'])}\n"},
            what=f"user {name}: {'password set' if exists else 'created'} ({MECHANISM})"))
    return changes


def _acl_changes(users: list[dict], current: set[Binding], admin: list[str]) -> list[Command]:
    """Each declared user's ACLs made exactly the declared ones: one kafka-acls call per resource and principal."""
    wanted: set[Binding] = set()
    for user in users:
        wanted |= wanted_bindings(user)
    principals = {f"User:{user['name']}" for user in users}
    have = {b for b in current if b.principal in principals}
    changes = []
    for verb, bindings in (("remove", have - wanted), ("add", wanted - have)):
        groups: dict[tuple, list[str]] = {}
        for binding in sorted(bindings):
            key = (binding.resource_type, binding.name, binding.pattern, binding.principal, binding.host, binding.permission)
            groups.setdefault(key, []).append(binding.operation)
        changes += [_acl_command(verb, index, key, operations, admin)
                    for index, (key, operations) in enumerate(sorted(groups.items()))]
    return changes


def _acl_command(verb: str, index: int, key: tuple, operations: list[str], admin: list[str]) -> Command:
    """kafka-acls adding or removing OPERATIONS for one (resource, pattern, principal, host, permission) KEY."""
    resource_type, name, pattern, principal, host, permission = key
    side = "allow" if permission == "ALLOW" else "deny"
    argv = ["appstack_acls", *admin, f"--{verb}", f"--{side}-principal", principal, f"--{side}-host", host]
    for operation in operations:
        argv += ["--operation", operation_cli(operation)]
    flag = RESOURCE_FLAGS[resource_type]
    argv += [flag] if resource_type == "CLUSTER" else [flag, name]
    argv += ["--resource-pattern-type", pattern.lower()]
    if verb == "remove":
        argv.append("--force")
    what = f"{'removed' if verb == 'remove' else 'added'} ACL: " + "; ".join(
        Binding(resource_type, name, pattern, principal, host, op, permission).describe() for op in operations)
    return Command(f"acl-{verb}.{index}", argv, what=what)
