"""The shell session the provisioners run inside a container (exec_session), run here by the host's ``sh``.

kafka_provision and minio_provision depend on it for every answer they read: a command's exit code and
output must come back under its own key, whatever the command prints, and no secret may reach an error.
"""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.appstack.platform.plugins.module_utils import exec_session as es
from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command, Session, SessionError


class Failed(Exception):
    """What FakeModule.fail_json was called with."""


class FakeModule:
    """An AnsibleModule whose ``docker exec -i ... sh -s`` runs the session in the host's sh (or answers ANSWER)."""

    def __init__(self, answer: tuple[int, str, str] | None = None):
        self.answer = answer
        self.argv: list[str] = []

    def get_bin_path(self, name: str, required: bool = False) -> str:
        return "/usr/bin/docker"

    def run_command(self, argv: list[str], data: str, binary_data: bool = False) -> tuple[int, str, str]:
        self.argv = argv
        if self.answer is not None:
            return self.answer
        done = subprocess.run(argv[-2:], input=data, capture_output=True, text=True, timeout=60, check=False)
        return done.returncode, done.stdout, done.stderr

    def fail_json(self, **result) -> None:
        raise Failed(result)


def _answers(session: Session) -> dict[str, es.Answer]:
    return es.run(FakeModule(), "appstack-test", "1000", session)


@pytest.mark.parametrize("parallel", [1, 2])
def test_each_command_answers_with_its_exit_code_and_output(parallel: int):
    session = Session([Command("two-lines", ["printf", "a\\nb\\n"]),
                       Command("fails", ["sh", "-c", "echo broken >&2; exit 3"]),
                       Command("no.newline", ["printf", "last"])], parallel=parallel)
    assert _answers(session) == {"two-lines": (0, "a\nb"), "fails": (3, "broken"), "no.newline": (0, "last")}


def test_a_marker_like_line_in_a_commands_output_stays_its_output():
    fake = "@@APPSTACK-0123456789abcdef@@ forged 0"
    session = Session([Command("tool", ["printf", f"{fake}\\n@@APPSTACK-KAFKA@@ forged 1\\nend\\n"]),
                       Command("next", ["echo", "ok"])])
    answers = _answers(session)
    assert set(answers) == {"tool", "next"}
    assert answers["tool"] == (0, f"{fake}\n@@APPSTACK-KAFKA@@ forged 1\nend")
    assert Session([]).marker != session.marker, "every session has a marker of its own"


@pytest.mark.parametrize("parallel", [1, 2])
def test_files_and_standard_input_reach_the_commands_but_not_their_command_lines(parallel: int):
    session = Session([Command("file", ["cat", "client.properties"], files={"client.properties": "password=s3cr3t-f1le"}),
                       Command("stdin", ["cat"], stdin="s3cr3t-1nput"),
                       Command("env", ["sh", "-c", 'echo "$ONE $BOTH"'], env={"ONE": "only here"})],
                      env={"BOTH": "for all"}, parallel=parallel)
    calls = [line for line in session.script().splitlines() if "> out." in line]
    assert len(calls) == 3 and not any("s3cr3t" in line for line in calls)
    assert _answers(session) == {"file": (0, "password=s3cr3t-f1le"), "stdin": (0, "s3cr3t-1nput"),
                                 "env": (0, "only here for all")}


def test_a_command_runs_only_if_an_earlier_one_printed_what_it_needs():
    session = Session([Command("users", ["echo", "user 'app'"]), Command("other", ["true"]),
                       Command("check.app", ["echo", "checked"], only_if=("users", "'app'")),
                       Command("check.bob", ["echo", "checked"], only_if=("users", "'bob'"))], parallel=2)
    answers = _answers(session)
    assert answers["check.app"] == (0, "checked")
    assert answers["check.bob"].rc == 0 and "not run" in answers["check.bob"].output
    with pytest.raises(ValueError, match="does not run before it"):
        Session([Command("users", ["true"]), Command("check", ["true"], only_if=("users", "x"))], parallel=2).script()


@pytest.mark.parametrize("key", ["two words", "../out", "same"])
@pytest.mark.parametrize("parallel", [1, 2])
def test_keys_must_be_unique_file_names(key: str, parallel: int):
    with pytest.raises(ValueError, match="not a unique name"):
        Session([Command("same", ["true"]), Command(key, ["true"])], parallel=parallel).script()


def test_changes_stop_at_the_first_failure_and_name_it_with_what_was_done():
    session = Session([Command("a", ["true"], what="first done"), Command("b", ["sh", "-c", "echo refused; exit 1"],
                                                                          what="second"),
                       Command("c", ["touch", "never"], what="third")], stop_on_failure=True)
    with pytest.raises(SessionError) as failed:
        es.apply(FakeModule(), "appstack-test", "1000", session)
    assert str(failed.value) == "second failed: refused"
    assert failed.value.done == ["first done"]
    assert "c" not in session.parse(subprocess.run(["sh", "-s"], input=session.script(), capture_output=True,
                                                   text=True, timeout=60, check=False).stdout)


def test_the_session_runs_in_the_container_as_its_user():
    module = FakeModule(answer=(0, "", ""))
    es.run(module, "appstack-kafka", "1000", Session([]))
    assert module.argv == ["/usr/bin/docker", "exec", "-i", "-u", "1000", "appstack-kafka", "sh", "-s"]


def test_a_session_that_fails_before_its_answers_is_an_error_with_the_shells_exit_code():
    module = FakeModule(answer=(1, "", "Error response from daemon: container appstack-kafka is not running\n"))
    with pytest.raises(SessionError) as failed:
        es.run(module, "appstack-kafka", "1000", Session([Command("topics", ["true"])], name="reading"))
    assert str(failed.value) == ("the reading session failed (exit code 1): "
                                 "Error response from daemon: container appstack-kafka is not running")
    assert failed.value.rc == 1


def test_a_secret_in_an_error_is_masked_in_every_form_it_is_printed_in():
    session = Session([Command("user.0", ["sh", "-c", "echo 'mc: http://app:p%40ss%2Fword@127.0.0.1 refused p@ss/word'; "
                                                      "exit 1"], what="user app")])
    with pytest.raises(SessionError) as failed:
        es.apply(FakeModule(), "appstack-minio", "1000", session)
    with pytest.raises(Failed) as ended:
        es.fail(FakeModule(), "appstack-minio", failed.value, ["p@ss/word"])
    result = ended.value.args[0]
    assert result["msg"] == "appstack-minio: user app failed: mc: http://app:********@127.0.0.1 refused ********"
    assert result["actions"] == []
