"""A free-form value stays one value of its configuration file, in that file's own quoting."""

from __future__ import annotations

import pytest
from ansible_collections.appstack.platform.plugins.module_utils.config_syntax import quote


@pytest.mark.parametrize("value, written", [
    (100, "100"), (0.5, "0.5"), (True, "on"), ("pg_stat_statements", "'pg_stat_statements'"),
    ("it's", "'it''s'"), ("C:\\path\\", "'C:\\\\path\\\\'"),
])
def test_postgresql_conf_quotes_text_and_leaves_numbers_bare(value, written):
    assert quote(value, "postgres") == written


@pytest.mark.parametrize("value, written", [
    (10000, "10000"), (False, "no"), ("normal 0 0 0", '"normal 0 0 0"'), ('a"b', '"a\\"b"'), ("a\\", '"a\\\\"'),
])
def test_redis_conf_writes_one_quoted_argument(value, written):
    assert quote(value, "redis") == written


@pytest.mark.parametrize("value, written", [
    (True, "true"), (3, "3"), ("C:\\x", "C:\\\\x"), ("grüß", "gr\\u00fc\\u00df"), (" lead", "\\ lead"), ("😀", "\\ud83d\\ude00"),
])
def test_java_properties_escape_backslashes_non_ascii_and_a_leading_blank(value, written):
    assert quote(value, "properties") == written


def test_an_unknown_syntax_is_refused():
    with pytest.raises(ValueError, match="unknown configuration syntax 'toml'"):
        quote("x", "toml")
