# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The Kafka tools' answers read into data (appstack.platform.kafka_provision).

Each reader takes what one tool printed in the reading session (kafka_commands) and returns the
broker's state it describes: topics, their dynamic configs, SCRAM users, ACLs as :class:`Binding` s,
whether a login was accepted. :func:`error_text` keeps the informative lines of a tool's failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What a tool prints when a login is refused for its credentials.
_BAD_LOGIN = ("SaslAuthenticationException", "Authentication failed", "invalid credentials")


class KafkaStateError(Exception):
    """The broker cannot be brought to the declared state (for example fewer partitions than it has)."""


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
        """The ACL in words, for the module's list of actions."""
        pattern = "" if self.pattern == "LITERAL" else f" ({self.pattern.lower()})"
        return (f"{self.permission.lower()} {self.principal} {self.operation} on {self.resource_type.lower()} "
                f"{self.name}{pattern}{'' if self.host == '*' else ' from ' + self.host}")


def error_text(text: str, lines: int = 6) -> str:
    """The informative lines of a tool's failure (no stack frames, no log noise), shortened."""
    kept = [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("at ") and "WARN" not in line.split("]", 1)[-1][:6]]
    return " / ".join(kept[:lines]) or text.strip()[:500]


def answer_text(state: dict, key: str) -> str:
    """What the read KEY printed; KafkaStateError when it did not answer or failed."""
    if key not in state:
        raise KafkaStateError(f"no answer to the state query {key!r} (the session ended early)")
    code, text = state[key]
    if code != 0:
        raise KafkaStateError(f"cannot read the broker's state ({key}): {error_text(text)}")
    return text


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
    """Whether a login check (kafka_commands.read_commands) was accepted; raises when it failed for another reason."""
    code, text = result
    if code == 0:
        return True
    if any(marker in text for marker in _BAD_LOGIN):
        return False
    raise KafkaStateError(f"cannot check the password of user {user}: {error_text(text)}")
