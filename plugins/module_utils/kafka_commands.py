# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""How appstack.platform.kafka_provision talks to a broker: the image's own tools in a shell session.

The module reads the broker's state in one :class:`~exec_session.Session` inside the broker container
(:func:`read_session`): ``kafka-topics --describe``, ``kafka-configs --describe`` for topics and users,
``kafka-acls --list`` and, per declared user, a login with the declared password. The changes kafka_plan
decides run in a second session (:func:`change_session`), one after another, stopping at the first that fails.

Each tool is a JVM started inside the broker's container, so inside its memory limit: the sessions run
them with a small heap and fast-start options, at most two at a time. Passwords reach the tools only in
files the session writes into its private directory (client properties, ``--add-config-file``), never on
a command line; this module writes those files' values in the tools' syntax.
"""

from __future__ import annotations

from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command, Session

#: The one SASL mechanism of the client listeners.
MECHANISM = "SCRAM-SHA-512"
#: Options of every tool JVM the sessions start (the container's limit holds the broker too).
TOOL_ENV = {
    "KAFKA_HEAP_OPTS": "-Xmx96m -Xss512k",
    "KAFKA_JVM_PERFORMANCE_OPTS": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true",
}
#: kafka-acls is not among every image's wrappers; its class is on the classpath of both.
ACLS_FUNCTION = ("appstack_acls() { if command -v kafka-acls.sh >/dev/null 2>&1; then kafka-acls.sh \"$@\"; "
                 "else kafka-run-class org.apache.kafka.tools.AclCommand \"$@\"; fi; }")
#: Reads run two at a time: each tool is a JVM inside the broker's memory limit.
PARALLEL_READS = 2


# -- the tools' syntax ------------------------------------------------------------------------------
def jaas_quote(value: str) -> str:
    """A value for a JAAS option (``password="..."``)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_PROPERTIES_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def properties_value(value: str) -> str:
    """VALUE escaped for a Java properties file (read as ISO-8859-1)."""
    out = []
    for index, char in enumerate(value):
        if char in _PROPERTIES_ESCAPES:
            out.append(_PROPERTIES_ESCAPES[char])
        elif char == " " and index == 0:
            out.append("\\ ")
        elif ord(char) > 0x7E:
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


def admin_args(bootstrap: str, command_config: str) -> list[str]:
    """The arguments every admin tool call starts with: the listener and the admin's client settings."""
    return ["--bootstrap-server", bootstrap, "--command-config", command_config]


# -- sessions -----------------------------------------------------------------------------------------
def read_commands(bootstrap: str, command_config: str, users: list[dict], sasl: bool) -> list[Command]:
    """Everything the comparison needs, read in one session.

    A user's login is checked only when the ``users`` read (an earlier batch) lists a credential of it:
    a user without one is created anyway.
    """
    admin = admin_args(bootstrap, command_config)
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
                                    only_if=("users", f"user-principal '{user['name']}' are ")))
    return commands


def read_session(bootstrap: str, command_config: str, users: list[dict], sasl: bool) -> Session:
    """The session that reads the broker's state (:func:`read_commands`), two tools at a time."""
    return Session(read_commands(bootstrap, command_config, users, sasl), name="reading", env=TOOL_ENV,
                   functions=(ACLS_FUNCTION,), parallel=PARALLEL_READS)


def change_session(changes: list[Command]) -> Session:
    """The session that runs CHANGES one after another, stopping at the first that fails."""
    return Session(changes, name="provisioning", env=TOOL_ENV, functions=(ACLS_FUNCTION,), stop_on_failure=True)
