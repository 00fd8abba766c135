# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""A free-form value written into a configuration file in that file's own quoting, so it stays one value.

The whole-stack preflight refuses control characters in every input (rules.py); what is left to quote here is
what the file format itself gives a meaning: quotes and backslashes, and for Java properties non-ASCII text
(read as ISO 8859-1) and a leading blank.
"""

from __future__ import annotations

from typing import Any


def _scalar(value: Any, true: str, false: str) -> str | None:
    if isinstance(value, bool):
        return true if value else false
    if isinstance(value, (int, float)):
        return str(value)
    return None


def postgres(value: Any) -> str:
    """A postgresql.conf value: numbers and booleans bare, text single-quoted (quotes doubled, backslashes doubled)."""
    plain = _scalar(value, "on", "off")
    if plain is not None:
        return plain
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def redis(value: Any) -> str:
    """A redis.conf argument: one double-quoted argument (backslashes and quotes escaped), booleans yes/no.
    Redis splits a multi-argument directive given as one argument (save, client-output-buffer-limit) itself."""
    plain = _scalar(value, "yes", "no")
    if plain is not None:
        return plain
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def properties(value: Any) -> str:
    """A Java properties value (Kafka's server.properties): backslashes escaped, anything beyond printable ASCII as
    \\uXXXX (the file is read as ISO 8859-1), a leading blank escaped; booleans true/false."""
    plain = _scalar(value, "true", "false")
    if plain is not None:
        return plain
    out = []
    for char in str(value):
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    text = "".join(out)
    return "\\" + text if text.startswith(" ") else text


SYNTAXES = {"postgres": postgres, "redis": redis, "properties": properties}


def quote(value: Any, syntax: str) -> str:
    """VALUE as one value of a file in SYNTAX (one of SYNTAXES)."""
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown configuration syntax {syntax!r}; one of {', '.join(SYNTAXES)}")
    return SYNTAXES[syntax](value)
