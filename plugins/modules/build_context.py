#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.build_context: the content hash of a Docker build context, as the build would send it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: build_context
short_description: Hash a Docker build context - every file the build would send, its Dockerfile and build arguments
version_added: 0.3.0
description:
  - Computes a SHA-256 over what a build of O(path) sends to the daemon and what else decides the image - each file's
    path relative to the context, whether it is executable, a symbolic link's target, each file's content, the
    directories, the Dockerfile used and the build arguments O(args). Timestamps, owners and the other mode bits are
    not part of the hash.
  - Honours the context's C(.dockerignore) the way M(community.docker.docker_image) reads it when it sends the
    context (the rules of the Docker SDK for Python) - C(*), C(?), C([...]), C(**) across directories, C(!) exceptions
    with the last matching line deciding, a pattern that matches a directory excluding all under it. The Dockerfile
    and C(.dockerignore) are always sent, so always hashed, whatever C(.dockerignore) says.
  - 'Differences from the C(docker) CLI, which the hash follows because the build does: matching ignores case; an
    exception reaches into an excluded directory only when its text starts with that directory''s path
    (C(!build/keep.txt) does, C(!**/keep.txt) does not); a backslash does not escape a special character.'
  - A Dockerfile outside the context is hashed by its content.
  - The app role labels an image it builds with the hash (C(org.appstack.app.context)) and refuses to deploy a tag
    whose context changed since it was built.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host.read_only
options:
  path:
    description: The build context, a directory on the host the module runs on.
    type: path
    required: true
  dockerfile:
    description:
      - The Dockerfile, relative to O(path) or absolute (as M(community.docker.docker_image)'s C(build.dockerfile)).
      - Empty means C(Dockerfile) at the top of the context.
    type: str
    default: ""
  args:
    description: The build arguments (C(ARG) values); values other than strings are hashed as text, as the build sends them.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Hash the API's build context
  appstack.platform.build_context:
    path: /srv/shop/api
    dockerfile: docker/Dockerfile.prod
    args: {PYTHON_VERSION: "3.13"}
  register: api_context

- name: Build the image, labelled with the hash
  community.docker.docker_image:
    name: shop/api:42
    source: build
    build:
      path: /srv/shop/api
      dockerfile: docker/Dockerfile.prod
      args: {PYTHON_VERSION: "3.13"}
      labels: {org.appstack.app.context: "{{ api_context.hash }}"}
"""

RETURN = r"""
hash:
  description: SHA-256 (hex) of the context as the build sends it, its Dockerfile and the build arguments.
  returned: success
  type: str
  sample: 3f5c0a6e2b1d4c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e
files:
  description: How many entries (files, directories, links) of the context the build sends.
  returned: success
  type: int
dockerfile:
  description: The Dockerfile used - relative to the context when inside it, else its absolute path.
  returned: success
  type: str
"""

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator

from ansible.module_utils.basic import AnsibleModule

#: Bumped whenever what the hash covers changes, so an old label never equals a new hash by accident.
HASH_VERSION = 1
_CHUNK = 1024 * 1024


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part and part != "."]


def _translate(pattern: str) -> str:
    """A .dockerignore pattern as a regular expression: ``*`` and ``?`` stay within one path element, ``**`` spans
    any number of them (none included), ``[...]`` is a character class (``[!...]`` negated)."""
    i, n, out = 0, len(pattern), "^"
    while i < n:
        char = pattern[i]
        i += 1
        if char == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out += ".*" if i >= n else "(.*/)?"
            else:
                out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            j = i + 1 if i < n and pattern[i] == "!" else i
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out += "\\["
            else:
                chars = pattern[i:j].replace("\\", "\\\\")
                i = j + 1
                if chars[0] == "!":
                    chars = "^" + chars[1:]
                elif chars[0] == "^":
                    chars = "\\" + chars
                out += f"[{chars}]"
        else:
            out += re.escape(char)
    return out + "$"


class Pattern:
    """One line of .dockerignore: ``!`` makes it an exception; ``.`` and ``..`` elements and outer slashes are dropped."""

    def __init__(self, line: str) -> None:
        self.exception = line.startswith("!")
        parts = _split((line[1:] if self.exception else line).strip())
        i = 0
        while i < len(parts):
            if parts[i] == "..":
                del parts[i]
                if i > 0:
                    del parts[i - 1]
                    i -= 1
            else:
                i += 1
        self.parts = parts
        self.text = "/".join(parts)
        self.regex = re.compile(_translate(self.text.lower()))

    def match(self, path: str) -> bool:
        return self.regex.match(path.lower()) is not None


class Matcher:
    """The patterns of a context, in order: the last one that matches a path (or one of its parent directories)
    decides whether the path is left out. The Dockerfile in the context (DOCKERFILE, empty when it is outside) and
    .dockerignore are always sent."""

    def __init__(self, lines: list[str], dockerfile: str) -> None:
        exceptions = ["!" + dockerfile] if dockerfile else []
        self.patterns = [pattern for pattern in (Pattern(line) for line in [*lines, *exceptions]) if pattern.parts]
        self.patterns.append(Pattern("!.dockerignore"))

    def excluded(self, path: str) -> bool:
        excluded = False
        parents = _split(os.path.dirname(path))
        for pattern in self.patterns:
            match = pattern.match(path)
            if not match and parents and len(pattern.parts) <= len(parents):
                match = pattern.match("/".join(parents[:len(pattern.parts)]))
            if match:
                excluded = not pattern.exception
        return excluded

    def reaches_into(self, directory: str) -> bool:
        """Whether an exception may take back something under DIRECTORY, which is left out itself."""
        return any(pattern.exception and pattern.text.startswith(directory) for pattern in self.patterns)

    def walk(self, root: str, here: str = "") -> Iterator[str]:
        """The paths under ROOT (relative, with '/') that the build sends: files, links and directories."""
        for name in os.listdir(os.path.join(root, here) if here else root):
            path = f"{here}/{name}" if here else name
            excluded = self.excluded(path)
            if not excluded:
                yield path
            full = os.path.join(root, path)
            if os.path.islink(full) or not os.path.isdir(full):
                continue
            if excluded and not self.reaches_into(path):
                continue
            yield from self.walk(root, path)


def ignore_lines(root: str) -> list[str]:
    """The patterns of ROOT/.dockerignore: each line stripped, blank lines and comments left out."""
    try:
        with open(os.path.join(root, ".dockerignore"), encoding="utf-8", errors="surrogateescape") as handle:
            lines = [line.strip() for line in handle.read().splitlines()]
    except FileNotFoundError:
        return []
    return [line for line in lines if line and not line.startswith("#")]


def locate_dockerfile(root: str, dockerfile: str) -> tuple[str, str]:
    """``(relative, outside)``: the Dockerfile's path relative to ROOT when inside it, else its absolute path."""
    dockerfile = dockerfile or "Dockerfile"
    full = dockerfile if os.path.isabs(dockerfile) else os.path.join(root, dockerfile)
    relative = os.path.relpath(full, root)
    if relative.startswith(".."):
        return "", os.path.abspath(full)
    return (relative if os.path.isabs(dockerfile) else dockerfile), ""


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def context_files(root: str, dockerfile: str = "") -> list[str]:
    """The paths of ROOT (relative, sorted) that a build with DOCKERFILE sends, .dockerignore applied."""
    relative, _outside = locate_dockerfile(root, dockerfile)
    return sorted(Matcher(ignore_lines(root), relative).walk(os.path.abspath(root)))


def context_hash(root: str, dockerfile: str = "", args: dict | None = None) -> dict:
    """``{hash, files, dockerfile}`` of the context ROOT built with DOCKERFILE and the build arguments ARGS."""
    root = os.path.abspath(root)
    relative, outside = locate_dockerfile(root, dockerfile)
    digest = hashlib.sha256()

    def put(*fields: object) -> None:
        digest.update(json.dumps(fields).encode("utf-8") + b"\n")

    put("appstack.platform.build_context", HASH_VERSION)
    if outside:
        put("dockerfile-outside", _file_digest(outside) if os.path.isfile(outside) else None)
    else:
        put("dockerfile", os.path.normpath(relative))
    for name in sorted(args or {}):
        value = args[name]
        put("arg", name, value if isinstance(value, str) else str(value))
    paths = sorted(Matcher(ignore_lines(root), relative).walk(root))
    count = 0
    for path in paths:
        full = os.path.join(root, path)
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            put("link", path, os.readlink(full))
        elif stat.S_ISDIR(info.st_mode):
            put("dir", path)
        elif stat.S_ISREG(info.st_mode):
            put("file", path, bool(info.st_mode & 0o111), _file_digest(full))
        elif stat.S_ISSOCK(info.st_mode):
            continue  # the build leaves sockets out
        else:
            put("special", path, stat.S_IFMT(info.st_mode))
        count += 1
    return {"hash": digest.hexdigest(), "files": count, "dockerfile": outside or os.path.normpath(relative)}


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            dockerfile=dict(type="str", default=""),
            args=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    root = module.params["path"]
    if not os.path.isdir(root):
        module.fail_json(msg=f"build context {root} is not a directory")
    try:
        result = context_hash(root, module.params["dockerfile"] or "", module.params["args"] or {})
    except OSError as exc:
        module.fail_json(msg=f"build context {root}: cannot read {exc.filename or ''}: {exc.strerror or exc}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
