# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""One shell session inside a running container, for the provisioners that drive an engine with its own tools.

appstack.platform.kafka_provision and minio_provision read an engine's state, and then change it, each
in one ``docker exec -i <container> sh -s``: a :class:`Session` is the POSIX shell script of its
:class:`Command` s, and :meth:`Session.parse` reads back, per command, its exit code and what it printed.
The engine modules (kafka_commands, minio_commands) say only which commands to run.

The script works in a private directory (``umask 077``, ``mktemp -d`` on the container's ``/tmp``, removed
when the session ends). It first writes every command's files there from here-documents, so secrets reach
the tools in files or on their standard input, never on a command line. Commands run in batches of
``parallel`` (one at a time by default); each writes its output and exit code into the directory, and
after its batch the script prints that output followed by a marker line ``<marker> <key> <exit code>``.
The marker holds a random token of the session, so nothing a tool prints can pass for one.

Errors are :class:`SessionError`; :func:`fail` ends the module with the message, every secret masked.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from secrets import token_hex
from typing import Any, Callable, Iterable, NamedTuple

from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact

#: What the error of a command names when the session ended before it ran.
NOT_RUN = "(not run: the session stopped before it)"
#: Keys name the files of a command's answer: letters, digits, dots, dashes and underscores.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PRELUDE = ("set -u", "umask 077", "dir=$(mktemp -d /tmp/appstack-session.XXXXXX) || exit 90",
            "trap 'rm -rf \"$dir\"' EXIT", 'cd "$dir" || exit 91')


class SessionError(Exception):
    """The session, or one of its commands, failed: RC of the shell (None for a command), DONE what was changed."""

    def __init__(self, message: str, done: Iterable[str] = (), rc: int | None = None):
        super().__init__(message)
        self.done = list(done)
        self.rc = rc


@dataclass
class Command:
    """One tool call inside the session.

    FILES (name -> content) are written into the session's directory before any command runs; STDIN is
    the command's standard input (none: /dev/null); ENV is set for this command only; WHAT says in words
    what it changes (empty: nothing worth a line). ONLY_IF (key, text) runs it only when the command KEY of
    an earlier batch printed TEXT; otherwise it counts as done, with exit code 0.
    """

    key: str
    argv: list[str]
    files: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    what: str = ""
    only_if: tuple[str, str] | None = None


class Answer(NamedTuple):
    """What one command of a session answered."""

    rc: int
    output: str


@dataclass
class Session:
    """COMMANDS run by one shell with ENV exported and FUNCTIONS (shell function definitions) defined.

    PARALLEL commands run at a time; with STOP_ON_FAILURE the session ends after the first batch in which a
    command failed. NAME says what the session is for in its errors ("reading", "provisioning").
    """

    commands: list[Command]
    name: str = "exec"
    env: dict[str, str] = field(default_factory=dict)
    functions: tuple[str, ...] = ()
    parallel: int = 1
    stop_on_failure: bool = False
    marker: str = field(default_factory=lambda: f"@@APPSTACK-{token_hex(8)}@@")

    def script(self) -> str:
        """The POSIX shell script of the session (read by ``sh -s``)."""
        batches = self._batches()
        _check_keys(batches)
        lines = list(_PRELUDE)
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]
        lines += list(self.functions)
        lines += [_here_document(f"cat > {shlex.quote(name)}", content)
                  for command in self.commands for name, content in command.files.items()]
        for batch in batches:
            lines += [_launch(command, background=len(batch) > 1) for command in batch]
            if len(batch) > 1:
                lines.append("wait")
            lines += [f'cat out.{c.key}; echo "{self.marker} {c.key} $(cat rc.{c.key} 2>/dev/null)"' for c in batch]
            if self.stop_on_failure:
                lines += [f'[ "$(cat rc.{c.key} 2>/dev/null)" = 0 ] || exit 0' for c in batch]
        return "\n".join(lines) + "\n"

    def parse(self, output: str) -> dict[str, Answer]:
        """The output of :meth:`script`: command key -> its answer (a command without an exit code has none)."""
        answers: dict[str, Answer] = {}
        chunk: list[str] = []
        for line in output.splitlines():
            head, found, tail = line.partition(self.marker + " ")
            if not found:
                chunk.append(line)
                continue
            if head:  # the command's last line had no line break
                chunk.append(head)
            key, _, code = tail.strip().partition(" ")
            if code.lstrip("-").isdigit():
                answers[key] = Answer(int(code), "\n".join(chunk))
            chunk = []
        return answers

    def _batches(self) -> list[list[Command]]:
        size = max(self.parallel, 1)
        return [self.commands[start:start + size] for start in range(0, len(self.commands), size)]


def _check_keys(batches: list[list[Command]]) -> None:
    """Keys are usable file names, unique, and a command's ONLY_IF names a command of an earlier batch."""
    earlier: set[str] = set()
    for batch in batches:
        keys = [command.key for command in batch]
        for command in batch:
            if not _KEY.fullmatch(command.key) or command.key in earlier or keys.count(command.key) > 1:
                raise ValueError(f"command key {command.key!r} is not a unique name of letters, digits, '.', '-', '_'")
            if command.only_if and command.only_if[0] not in earlier:
                raise ValueError(f"command {command.key} depends on {command.only_if[0]}, which does not run before it")
        earlier |= set(keys)


def _here_document(line: str, content: str) -> str:
    """LINE reading CONTENT from a here-document whose delimiter nothing in CONTENT can match."""
    delimiter = f"APPSTACK_EOF_{token_hex(8)}"
    return f"{line} <<'{delimiter}'\n{content.rstrip(chr(10))}\n{delimiter}"


def _launch(command: Command, background: bool) -> str:
    """The line (with its here-document) that runs COMMAND into out.<key> and rc.<key>."""
    env = "".join(f"{name}={shlex.quote(value)} " for name, value in command.env.items())
    call = env + " ".join(shlex.quote(arg) for arg in command.argv) + f" > out.{command.key} 2>&1"
    run = f"{call} </dev/null; echo $? > rc.{command.key}"
    if command.stdin is not None:
        run = _here_document(call, command.stdin).replace("\n", f"; echo $? > rc.{command.key}\n", 1)
    if background:
        head, newline, document = run.partition("\n")
        run = f"( {head} ) &{newline}{document}"
    if command.only_if:
        key, text = command.only_if
        head, newline, document = run.partition("\n")
        skipped = shlex.quote(f"not run: {key} did not print {text}")
        separator = " " if head.endswith("&") else "; "
        run = (f"if grep -qF -- {shlex.quote(text)} out.{key} 2>/dev/null; then {head}{separator}"
               f"else echo {skipped} > out.{command.key}; echo 0 > rc.{command.key}; fi{newline}{document}")
    return run


# -- running ----------------------------------------------------------------------------------------
def docker_exec(module: Any, container: str, user: str, argv: list[str], data: str,
                binary_data: bool = True) -> tuple[int, str, str]:
    """Run ARGV in CONTAINER as USER with DATA on its standard input (``docker exec -i``): rc, stdout, stderr."""
    docker = module.get_bin_path("docker", required=True)
    return module.run_command([docker, "exec", "-i", "-u", user, container, *argv], data=data, binary_data=binary_data)


def run(module: Any, container: str, user: str, session: Session,
        summarize: Callable[[str], str] = str.strip) -> dict[str, Answer]:
    """SESSION's answers by command key; SessionError when the shell failed before every command answered.

    SUMMARIZE shortens what the shell printed for the error (the engine's own reading of its tools' errors).
    """
    rc, out, err = docker_exec(module, container, user, ["sh", "-s"], session.script())
    answers = session.parse(out)
    if rc != 0 and any(command.key not in answers for command in session.commands):
        raise SessionError(f"the {session.name} session failed (exit code {rc}): {summarize(err or out)}", rc=rc)
    return answers


def apply(module: Any, container: str, user: str, session: Session,
          summarize: Callable[[str], str] = str.strip) -> list[str]:
    """Run SESSION's changes: what they did, or SessionError naming the first that failed (and what others did)."""
    answers = run(module, container, user, session, summarize)
    done = [c.what for c in session.commands if c.what and c.key in answers and answers[c.key].rc == 0]
    for command in session.commands:
        answer = answers.get(command.key)
        if answer is None or answer.rc != 0:
            output = NOT_RUN if answer is None else answer.output
            raise SessionError(f"{command.what or command.key} failed: {summarize(output)}", done=done)
    return done


def fail(module: Any, container: str, error: Exception, secrets: Iterable) -> None:
    """End the module with ERROR, named after CONTAINER, every secret of SECRETS masked; what was done as actions."""
    extra: dict[str, Any] = {"actions": getattr(error, "done", [])}
    if getattr(error, "rc", None) is not None:
        extra["rc"] = error.rc
    module.fail_json(msg=f"{container}: {redact(str(error), secrets)}", **extra)
