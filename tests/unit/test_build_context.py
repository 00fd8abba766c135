"""build_context hashes what a build sends: .dockerignore honoured (exceptions, **), Dockerfile always, build args."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import _collections_path

from ansible_collections.appstack.platform.plugins.modules.build_context import context_files, context_hash

MODULE = "ansible_collections.appstack.platform.plugins.modules.build_context"


def make(root: Path, files: dict[str, str]) -> Path:
    """A context ROOT with FILES (relative path -> content)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture
def context(tmp_path: Path) -> Path:
    return make(tmp_path / "ctx", {
        "Dockerfile": "FROM appstack/base:trixie\nCOPY . /app\n",
        "app.py": "print('hello')\n",
        "lib/util.py": "X = 1\n",
        "lib/deep/more.py": "Y = 2\n",
        "README.md": "docs\n",
        "notes/a.md": "a\n",
        "build/out.bin": "compiled\n",
        "build/keep.txt": "kept\n",
        "logs/today.log": "log\n",
        "logs/sub/older.LOG": "older\n",
    })


def ignore(root: Path, *lines: str) -> None:
    (root / ".dockerignore").write_text("\n".join(lines) + "\n")


def files(root: Path, dockerfile: str = "") -> list[str]:
    return [path for path in context_files(str(root), dockerfile) if not (root / path).is_dir()]


def test_without_dockerignore_every_file_is_sent(context):
    assert files(context) == ["Dockerfile", "README.md", "app.py", "build/keep.txt", "build/out.bin", "lib/deep/more.py",
                              "lib/util.py", "logs/sub/older.LOG", "logs/today.log", "notes/a.md"]
    assert "lib" in context_files(str(context)) and "lib/deep" in context_files(str(context))


def test_patterns_stars_and_directories(context):
    ignore(context, "# a comment", "", "*.md", "build", "logs/*.log")
    assert files(context) == [".dockerignore", "Dockerfile", "app.py", "lib/deep/more.py", "lib/util.py",
                              "logs/sub/older.LOG", "notes/a.md"]


def test_double_star_spans_directories_and_case_is_ignored(context):
    ignore(context, "**/*.log", "**/*.md")
    assert files(context) == [".dockerignore", "Dockerfile", "app.py", "build/keep.txt", "build/out.bin",
                              "lib/deep/more.py", "lib/util.py"]


def test_an_exception_takes_a_file_back_and_the_last_line_decides(context):
    ignore(context, "build", "!build/keep.txt", "lib/**", "!lib/deep", "lib/deep/more.py")
    assert files(context) == [".dockerignore", "Dockerfile", "README.md", "app.py", "build/keep.txt",
                              "logs/sub/older.LOG", "logs/today.log", "notes/a.md"]


def test_everything_ignored_but_exceptions(context):
    ignore(context, "*", "!app.py", "!lib")
    assert files(context) == [".dockerignore", "Dockerfile", "app.py", "lib/deep/more.py", "lib/util.py"]


def test_the_dockerfile_and_dockerignore_are_always_sent(context):
    ignore(context, "Dockerfile", ".dockerignore", "docker")
    make(context, {"docker/Dockerfile.prod": "FROM appstack/base:trixie\n"})
    assert {"Dockerfile", ".dockerignore"} <= set(files(context))
    sent = files(context, "docker/Dockerfile.prod")
    assert "docker/Dockerfile.prod" in sent and "Dockerfile" not in sent


def test_the_same_files_as_community_docker_sends(context):
    """The build is community.docker.docker_image's: its own list of the context is the reference."""
    build = pytest.importorskip("ansible_collections.community.docker.plugins.module_utils._api.utils.build")
    cases = [[], ["*.md", "build", "logs/*.log"], ["**/*.log", "**/*.md"], ["build", "!build/keep.txt"],
             ["*", "!app.py", "!lib"], ["lib/**", "!lib/deep", "lib/deep/more.py"], ["Dockerfile", "notes/"],
             ["./logs/../build/*.bin", "[a-m]*.py", "RE?DME.md"], ["**"], ["**", "!**/keep.txt"]]
    for lines in cases:
        ignore(context, *lines)
        expected = build.exclude_paths(str(context), list(lines))
        assert set(context_files(str(context))) == expected, lines


def digest(root: Path, **kwargs: object) -> str:
    return context_hash(str(root), **kwargs)["hash"]


def test_content_mode_links_and_new_files_change_the_hash(context):
    ignore(context, "build")
    first = digest(context)
    assert first == digest(context), "the hash is stable"
    (context / "app.py").write_text("print('changed')\n")
    second = digest(context)
    assert second != first
    os.chmod(context / "app.py", 0o755)
    third = digest(context)
    assert third != second, "the executable bit is part of the hash"
    os.chmod(context / "app.py", 0o700)
    assert digest(context) == third, "other mode bits are not"
    (context / "current").symlink_to("lib")
    fourth = digest(context)
    assert fourth != third
    (context / "current").unlink()
    (context / "current").symlink_to("notes")
    assert digest(context) not in (fourth, third), "a link's target is part of the hash"
    (context / "current").unlink()
    (context / "empty").mkdir()
    assert digest(context) != third, "an empty directory is copied too"


def test_a_renamed_file_changes_the_hash(context):
    before = digest(context)
    (context / "app.py").rename(context / "main.py")
    assert digest(context) != before


def test_ignored_files_and_timestamps_do_not_change_the_hash(context):
    ignore(context, "build", "!build/keep.txt", "*.md", "**/*.log")
    before = digest(context)
    (context / "build" / "out.bin").write_text("recompiled\n")
    (context / "README.md").write_text("other docs\n")
    make(context, {"logs/sub/x.log": "x\n", "build/more/y": "y\n"})
    os.utime(context / "app.py", (0, 0))
    assert digest(context) == before
    (context / "build" / "keep.txt").write_text("changed\n")
    assert digest(context) != before, "an exception's file is sent, so hashed"


def test_the_dockerignore_and_the_dockerfile_are_part_of_the_hash(context):
    before = digest(context)
    ignore(context, "notes")
    assert digest(context) != before
    ignored = digest(context)
    ignore(context, "notes", "Dockerfile")
    assert digest(context) != ignored, "the .dockerignore file itself is sent"
    make(context, {"Dockerfile.prod": "FROM appstack/base:trixie\n"})
    assert digest(context, dockerfile="Dockerfile.prod") != digest(context), "which Dockerfile is used counts"


def test_a_dockerfile_outside_the_context_is_hashed_by_content(context, tmp_path):
    outside = tmp_path / "Dockerfile.outside"
    outside.write_text("FROM appstack/base:trixie\n")
    result = context_hash(str(context), dockerfile=str(outside))
    assert result["dockerfile"] == str(outside)
    outside.write_text("FROM appstack/base:bookworm\n")
    assert digest(context, dockerfile=str(outside)) != result["hash"]
    assert context_hash(str(context), dockerfile=str(context / "Dockerfile"))["hash"] == digest(context)


def test_build_args_change_the_hash(context):
    plain = digest(context)
    one = digest(context, args={"VERSION": "1"})
    assert one != plain
    assert digest(context, args={"VERSION": "2"}) != one
    assert digest(context, args={"RELEASE": "1"}) != one, "the name counts, not only the value"
    assert digest(context, args={"VERSION": 1}) == one, "a number is sent as text"
    assert digest(context, args={"A": "1", "B": "2"}) == digest(context, args={"B": "2", "A": "1"})


def run_module(args: dict) -> dict:
    """The module in a process of its own, as Ansible runs it, with ARGS; its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(_collections_path())}
    done = subprocess.run([sys.executable, "-m", MODULE], input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
                          capture_output=True, text=True, env=env, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_module_reports_the_hash_unchanged_in_check_mode(context, tmp_path):
    result = run_module({"path": str(context), "args": {"VERSION": 3}, "_ansible_check_mode": True})
    assert result["changed"] is False and not result.get("failed"), result
    assert result["hash"] == digest(context, args={"VERSION": "3"})
    assert result["files"] == len(context_files(str(context))) and result["dockerfile"] == "Dockerfile"
    missing = run_module({"path": str(tmp_path / "nowhere")})
    assert missing["failed"] and "is not a directory" in missing["msg"]
