# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""How appstack.platform.minio_provision talks to a MinIO server: ``mc`` in a shell session in its container.

The module reads the server's state with ``mc ... --json`` in one :class:`~exec_session.Session`
inside the server container (:func:`read_commands`); the changes minio_plan decides run in a second
one. Secrets reach mc through the session (here-documents on its standard input, ``MC_HOST_<alias>``
variables of the session or of one command), not through the command line - except a service account's
secret key, which ``mc admin user svcacct add`` takes only as a flag (it is on the command line inside
the container while that command runs).
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command, Session

#: The mc alias of the root credentials inside the provisioning session.
ALIAS = "appstack"
#: The mc alias of a credentials check (one command's ``MC_HOST_<alias>``).
CHECK_ALIAS = "appstackcheck"


def alias_url(endpoint: str, access_key: str, secret_key: str) -> str:
    """An ``MC_HOST_<alias>`` value: the endpoint with URL-quoted credentials."""
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{quote(access_key, safe='')}:{quote(secret_key, safe='')}@{rest}"


def session(commands: list[Command], name: str, endpoint: str, root_user: str, root_password: str,
            config_dir: str) -> Session:
    """COMMANDS one after another, mc logged in as the root user under :data:`ALIAS`, its config in CONFIG_DIR."""
    env = {"MC_CONFIG_DIR": config_dir, f"MC_HOST_{ALIAS}": alias_url(endpoint, root_user, root_password)}
    return Session(commands, name=name, env=env)


def read_commands(endpoint: str, buckets: list[dict], policies: dict, users: list[dict]) -> list[Command]:
    """Everything the comparison needs, read in one session."""
    target = f"{ALIAS}/"
    commands = [Command("buckets", ["mc", "ls", "--json", ALIAS])]
    for number, bucket in enumerate(buckets):
        name = bucket["name"]
        commands += [Command(f"stat.{number}", ["mc", "stat", "--json", target + name]),
                     Command(f"anonymous.{number}", ["mc", "anonymous", "get", "--json", target + name]),
                     Command(f"quota.{number}", ["mc", "quota", "info", "--json", target + name])]
    for number, name in enumerate(sorted(policies)):
        commands.append(Command(f"policy.{number}", ["mc", "admin", "policy", "info", "--json", ALIAS, name]))
    if users:
        commands.append(Command("users", ["mc", "admin", "user", "list", "--json", ALIAS]))
    for number, user in enumerate(users):
        commands.append(_secret_check(f"secret.{number}", endpoint, user["name"], user["secret_key"]))
        for index, account in enumerate(user.get("service_accounts") or []):
            key = f"{number}.{index}"
            commands += [Command(f"svcacct.{key}", ["mc", "admin", "user", "svcacct", "info", "--json", ALIAS,
                                                    account["access_key"]]),
                         _secret_check(f"svcsecret.{key}", endpoint, account["access_key"], account["secret_key"])]
    return commands


def _secret_check(key: str, endpoint: str, access_key: str, secret_key: str) -> Command:
    """A signed request (list buckets) with these credentials: wrong ones fail with a credentials error."""
    return Command(key, ["mc", "ls", "--json", CHECK_ALIAS],
                   env={f"MC_HOST_{CHECK_ALIAS}": alias_url(endpoint, access_key, secret_key)})
