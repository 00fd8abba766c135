# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Kafka's declared topics, users and ACLs against the broker's, as commands of the image's own tools
(appstack.platform.kafka_provision).

The module reads the broker's state in one shell session inside the broker container
(:func:`read_commands`, :func:`script`): ``kafka-topics --describe``, ``kafka-configs --describe`` for
topics and users, ``kafka-acls --list`` and, per declared user, a login with the declared password.
It compares that with the declaration and turns only the differences into tool commands
(:func:`plan`), run in a second session. Everything the declaration asks that the broker cannot do
(fewer partitions, another replication factor) is refused by :func:`plan`, before any command runs.

Each tool is a JVM started inside the broker's container, so inside its memory limit: the session runs
them with a small heap and fast-start options, at most two at a time. Passwords reach the tools only in
files the session writes from here-documents into a private directory on the container's ``/tmp``
(client properties, ``--add-config-file``), never on a command line.
"""

from __future__ import annotations

import re
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any

#: The one SASL mechanism of the client listeners.
MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192
#: Options of every tool JVM the sessions start (the container's limit holds the broker too).
TOOL_ENV = {
    "KAFKA_HEAP_OPTS": "-Xmx96m -Xss512k",
    "KAFKA_JVM_PERFORMANCE_OPTS": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true",
}
#: kafka-acls is not among every image's wrappers; its class is on the classpath of both.
_ACLS_FUNCTION = ("appstack_acls() { if command -v kafka-acls.sh >/dev/null 2>&1; then kafka-acls.sh \"$@\"; "
                  "else kafka-run-class org.apache.kafka.tools.AclCommand \"$@\"; fi; }")
_MARK = "@@APPSTACK-KAFKA@@"
#: What a tool prints when a login is refused for its credentials.
_BAD_LOGIN = ("SaslAuthenticationException", "Authentication failed", "invalid credentials")

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


class KafkaStateError(Exception):
    """The broker cannot be brought to the declared state (for example fewer partitions than it has)."""


@dataclass
class Command:
    """One tool call: its arguments, files it reads (name -> content, written first) and what it changes."""

    key: str
    argv: list[str]
    files: dict[str, str] = field(default_factory=dict)
    what: str = ""
    #: Run only when this user has a SCRAM credential (per the earlier ``users`` read of a parallel session).
    when_user: str | None = None


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL: resource (type, name, pattern type), principal, host, operation, permission."""

    resource_type: str
    name: str
    pattern: str
    principal: str
    host: str
    operation: str
    permission: str

    def describe(self) -> str:
        pattern = "" if self.pattern == "LITERAL" else f" ({self.pattern.lower()})"
        return (f"{self.permission.lower()} {self.principal} {self.operation} on {self.resource_type.lower()} "
                f"{self.name}{pattern}{'' if self.host == '*' else ' from ' + self.host}")


# -- quoting ----------------------------------------------------------------------------------------
def jaas_quote(value: str) -> str:
    """A value for a JAAS option (``password="..."``)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def properties_value(value: str) -> str:
    """VALUE escaped for a Java properties file (read as ISO-8859-1)."""
    out = []
    for index, char in enumerate(value):
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        elif char == " " and index == 0:
            out.append("\\ ")
        elif code > 0x7E:
            encoded = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(encoded[i:i + 2], 'big'):04x}" for i in range(0, len(encoded), 2))
        else:
            out.append(char)
    return "".join(out)


def client_properties(user: str, password: str) -> str:
    """Client settings that log in as USER with SCRAM over the plaintext SASL listener."""
    jaas = (f"org.apache.kafka.common.security.scram.ScramLoginModule required username={jaas_quote(user)} "
            f"password={jaas_quote(password)};")
    return (f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={MECHANISM}\n"
            f"sasl.jaas.config={properties_value(jaas)}\n")


def config_value(value: Any) -> str:
    """A declared topic config value as the broker stores it (booleans lower-case, lists comma-joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(config_value(item) for item in value)
    return str(value)


# -- sessions ---------------------------------------------------------------------------------------
def script(commands: list[Command], parallel: int = 1, stop_on_failure: bool = False) -> str:
    """A POSIX shell script running COMMANDS inside the container, each followed by a marker with its exit code.

    The script works in a private directory on /tmp (removed at the end) where it first writes every
    command's files; PARALLEL commands run at a time (reads; a command with ``when_user`` runs only when
    the ``users`` read, in an earlier batch, lists that user), or one after another, stopping at the first
    that fails when STOP_ON_FAILURE (changes).
    """
    lines = ["set -u", "umask 077", "dir=$(mktemp -d /tmp/appstack-kafka.XXXXXX) || exit 90",
             "trap 'rm -rf \"$dir\"' EXIT", 'cd "$dir" || exit 91']
    lines += [f"export {name}={shlex.quote(value)}" for name, value in TOOL_ENV.items()]
    lines.append(_ACLS_FUNCTION)
    for command in commands:
        for name, content in command.files.items():
            delimiter = f"APPSTACK_EOF_{secrets.token_hex(8)}"
            lines.append(f"cat > {shlex.quote(name)} <<'{delimiter}'\n{content.rstrip(chr(10))}\n{delimiter}")
    if parallel > 1:
        for start in range(0, len(commands), parallel):
            for command in commands[start:start + parallel]:
                run = f"( {_call(command)} > out.{command.key} 2>&1 </dev/null; echo $? > rc.{command.key} ) &"
                if command.when_user is not None:
                    # No login check for a user without a credential: it is created anyway.
                    found = shlex.quote(f"user-principal '{command.when_user}' are ")
                    run = (f"if grep -qF {found} out.users 2>/dev/null; then {run} "
                           f"else echo 'not checked: no credential' > out.{command.key}; echo 0 > rc.{command.key}; fi")
                lines.append(run)
            lines.append("wait")
        for command in commands:
            lines.append(f'cat out.{command.key}; echo "{_MARK} {command.key} $(cat rc.{command.key})"')
        return "\n".join(lines) + "\n"
    for command in commands:
        lines.append(f"{_call(command)} 2>&1 </dev/null; rc=$?")
        lines.append(f'echo "{_MARK} {command.key} $rc"')
        if stop_on_failure:
            lines.append('[ "$rc" -eq 0 ] || exit 0')
    return "\n".join(lines) + "\n"


def _call(command: Command) -> str:
    return " ".join(shlex.quote(arg) for arg in command.argv)


def parse(output: str) -> dict[str, tuple[int, str]]:
    """The output of :func:`script`: command key -> (exit code, what it printed)."""
    results: dict[str, tuple[int, str]] = {}
    chunk: list[str] = []
    for line in output.splitlines():
        if line.startswith(_MARK + " "):
            parts = line.split()
            if len(parts) == 3 and parts[2].lstrip("-").isdigit():
                results[parts[1]] = (int(parts[2]), "\n".join(chunk))
            chunk = []
        else:
            chunk.append(line)
    return results


def error_text(text: str, lines: int = 6) -> str:
    """The informative lines of a tool's failure (no stack frames, no log noise), shortened."""
    kept = [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("at ") and "WARN" not in line.split("]", 1)[-1][:6]]
    return " / ".join(kept[:lines]) or text.strip()[:500]


# -- reading ----------------------------------------------------------------------------------------
def _admin(bootstrap: str, command_config: str) -> list[str]:
    return ["--bootstrap-server", bootstrap, "--command-config", command_config]


def read_commands(bootstrap: str, command_config: str, users: list[dict], sasl: bool) -> list[Command]:
    """Everything the comparison needs, read in one session."""
    admin = _admin(bootstrap, command_config)
    commands = [Command("topics", ["kafka-topics.sh", *admin, "--describe", "--exclude-internal"]),
                Command("configs", ["kafka-configs.sh", *admin, "--describe", "--entity-type", "topics"])]
    if sasl:
        commands += [Command("users", ["kafka-configs.sh", *admin, "--describe", "--entity-type", "users"]),
                     Command("acls", ["appstack_acls", *admin, "--list"])]
        for number, user in enumerate(users):
            name = f"login.{number}.properties"
            commands.append(Command(f"login.{number}", ["kafka-broker-api-versions.sh", "--bootstrap-server", bootstrap,
                                                        "--command-config", name],
                                    files={name: client_properties(user["name"], user["password"])},
                                    when_user=user["name"]))
    return commands


_TOPIC_LINE = re.compile(r"^Topic:\s*(\S+)\s.*?PartitionCount:\s*(\d+)\s+ReplicationFactor:\s*(\d+)")


def parse_topics(text: str) -> dict[str, dict[str, int]]:
    """``kafka-topics --describe``: topic -> partitions and replication factor."""
    found = {}
    for line in text.splitlines():
        match = _TOPIC_LINE.match(line.strip())
        if match:
            found[match.group(1)] = {"partitions": int(match.group(2)), "replication_factor": int(match.group(3))}
    return found


_CONFIGS_HEADER = re.compile(r"^Dynamic configs for topic (\S+) are:\s*$")
_CONFIG_ENTRY = re.compile(r"^\s+([A-Za-z0-9._-]+)=(.*?) sensitive=(?:true|false) synonyms=\{.*\}\s*$")


def parse_topic_configs(text: str) -> dict[str, dict[str, str]]:
    """``kafka-configs --describe --entity-type topics``: topic -> its dynamic (topic-level) configs."""
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        header = _CONFIGS_HEADER.match(line)
        if header:
            current = found.setdefault(header.group(1), {})
            continue
        entry = _CONFIG_ENTRY.match(line)
        if entry and current is not None:
            current[entry.group(1)] = entry.group(2)
    return found


_USER_LINE = re.compile(r"^SCRAM credential configs for user-principal '(.*)' are (.*)$")


def parse_users(text: str) -> dict[str, set[str]]:
    """``kafka-configs --describe --entity-type users``: user -> its SCRAM mechanisms."""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        match = _USER_LINE.match(line.strip())
        if match:
            found[match.group(1)] = {part.split("=", 1)[0].strip() for part in match.group(2).split(",") if "=" in part}
    return found


_ACL_RESOURCE = re.compile(r"ResourcePattern\(resourceType=(\w+), name=(.*), patternType=(\w+)\)")
_ACL_ENTRY = re.compile(r"\(principal=(.*), host=(.*), operation=(\w+), permissionType=(\w+)\)")


def parse_acls(text: str) -> set[Binding]:
    """``kafka-acls --list``: every ACL."""
    found = set()
    resource = None
    for line in text.splitlines():
        header = _ACL_RESOURCE.search(line)
        if header and line.lstrip().startswith("Current ACLs"):
            resource = header.groups()
            continue
        entry = _ACL_ENTRY.search(line)
        if entry and resource is not None:
            principal, host, operation, permission = entry.groups()
            found.add(Binding(resource[0].upper(), resource[1], resource[2].upper(), principal, host,
                              operation.upper(), permission.upper()))
    return found


def login_works(result: tuple[int, str], user: str) -> bool:
    """Whether a login check (:func:`read_commands`) was accepted; raises when it failed for another reason."""
    code, text = result
    if code == 0:
        return True
    if any(marker in text for marker in _BAD_LOGIN):
        return False
    raise KafkaStateError(f"cannot check the password of user {user}: {error_text(text)}")


# -- the declaration --------------------------------------------------------------------------------
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


def wanted_bindings(user: dict) -> set[Binding]:
    """The ACLs a declared user gets: its shortcuts (produce, consume, groups) and its own acls."""
    principal = f"User:{user['name']}"
    found = set()
    for shortcut, (resource_type, operations) in SHORTCUTS.items():
        for declared in user.get(shortcut) or []:
            name, pattern = _pattern(str(declared))
            found |= {Binding(resource_type, name, pattern, principal, "*", op, "ALLOW") for op in operations}
    for acl in user.get("acls") or []:
        resource_type = str(acl.get("resource") or "topic").upper().replace("-", "_")
        if resource_type not in RESOURCE_FLAGS:
            raise KafkaStateError(f"user {user['name']}: unknown ACL resource {acl.get('resource')!r} "
                                  f"(one of {', '.join(t.lower() for t in RESOURCE_FLAGS)})")
        raw = "kafka-cluster" if resource_type == "CLUSTER" else str(acl.get("name") or "")
        if not raw:
            raise KafkaStateError(f"user {user['name']}: an ACL on a {resource_type.lower()} needs a name")
        name, pattern = _pattern(raw)
        if acl.get("pattern"):
            pattern = str(acl["pattern"]).upper()
            name = raw
        for operation in acl.get("operations") or []:
            op = operation_name(operation)
            if op not in OPERATIONS:
                raise KafkaStateError(f"user {user['name']}: unknown ACL operation {operation!r}")
            found.add(Binding(resource_type, name, pattern, principal, str(acl.get("host") or "*"), op,
                              str(acl.get("permission") or "allow").upper()))
    return found


# -- planning ---------------------------------------------------------------------------------------
def _require(state: dict, key: str) -> str:
    if key not in state:
        raise KafkaStateError(f"no answer to the state query {key!r} (the session ended early)")
    code, text = state[key]
    if code != 0:
        raise KafkaStateError(f"cannot read the broker's state ({key}): {error_text(text)}")
    return text


def plan(topics: list[dict], topics_absent: list[str], users: list[dict], sasl: bool, state: dict,
         bootstrap: str, command_config: str) -> list[Command]:
    """The tool commands that bring the broker from STATE (answers to :func:`read_commands`) to the declaration.

    Raises KafkaStateError, naming every problem, when the declaration asks what Kafka cannot do
    (fewer partitions, another replication factor): then nothing is to be run at all.
    """
    admin = _admin(bootstrap, command_config)
    current = parse_topics(_require(state, "topics"))
    configs = parse_topic_configs(_require(state, "configs"))
    problems = []
    changes: list[Command] = []
    for number, topic in enumerate(topics):
        name = topic["name"]
        partitions = int(topic.get("partitions") or 1)
        factor = int(topic.get("replication_factor") or 1)
        wanted = {str(k): config_value(v) for k, v in (topic.get("configs") or {}).items()}
        if name in (topics_absent or []):
            problems.append(f"kafka_topics_absent: topic {name} is also declared in kafka_topics")
            continue
        live = current.get(name)
        if live is None:
            changes += _create(number, name, partitions, factor, wanted, admin)
            continue
        if partitions < live["partitions"]:
            problems.append(
                f"kafka_topics: topic {name} has {live['partitions']} partitions on the broker and is declared with {partitions}: "
                "Kafka cannot take partitions away (keys would move to other partitions); declare "
                f"{live['partitions']} or more, or create a new topic and move the data")
        if factor != live["replication_factor"]:
            problems.append(
                f"kafka_topics: topic {name} has replication factor {live['replication_factor']} on the broker and is declared "
                f"with {factor}: changing it needs a partition reassignment, which this role does not do")
        if partitions > live["partitions"]:
            changes.append(Command(f"partitions.{number}", ["kafka-topics.sh", *admin, "--alter", "--topic", name,
                                                            "--partitions", str(partitions)],
                                   what=f"topic {name}: partitions {live['partitions']} -> {partitions}"))
        have = configs.get(name, {})
        changes += _alter_configs(number, name, wanted, have, admin)
    if problems:
        raise KafkaStateError("; ".join(problems) + "; nothing was changed")
    for number, name in enumerate(topics_absent or []):
        if name in current:
            changes.append(Command(f"delete.{number}", ["kafka-topics.sh", *admin, "--delete", "--topic", name],
                                   what=f"topic {name}: deleted (kafka_topics_absent)"))
    if sasl:
        changes += _user_changes(users, state, admin)
        changes += _acl_changes(users, state, admin)
    return changes


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
    if not users:
        return []
    known = parse_users(_require(state, "users"))
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


def _acl_changes(users: list[dict], state: dict, admin: list[str]) -> list[Command]:
    if not users:
        return []
    current = parse_acls(_require(state, "acls"))
    wanted: set[Binding] = set()
    principals = set()
    for user in users:
        wanted |= wanted_bindings(user)
        principals.add(f"User:{user['name']}")
    have = {b for b in current if b.principal in principals}
    changes = []
    for verb, bindings in (("remove", have - wanted), ("add", wanted - have)):
        groups: dict[tuple, list[str]] = {}
        for binding in sorted(bindings):
            key = (binding.resource_type, binding.name, binding.pattern, binding.principal, binding.host, binding.permission)
            groups.setdefault(key, []).append(binding.operation)
        for index, (key, operations) in enumerate(sorted(groups.items())):
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
            changes.append(Command(f"acl-{verb}.{index}", argv, what=what))
    return changes


def operation_cli(operation: str) -> str:
    """Kafka's enum name (DESCRIBE_CONFIGS) as kafka-acls spells it (DescribeConfigs)."""
    return "".join(part.capitalize() for part in operation.split("_"))


def redact(text: str, values: list[str]) -> str:
    """TEXT with every secret of VALUES masked."""
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, "********")
    return text
