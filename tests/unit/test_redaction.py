"""The one redaction rule: what a module or the stack's preflight prints holds no secret."""

from __future__ import annotations

from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact, redact_data


def test_a_secret_containing_another_is_masked_whole():
    assert redact("password abcdef, then abc", ["abc", "abcdef"]) == "password ********, then ********"


def test_url_quoted_and_json_escaped_forms_are_masked():
    text = 'MC_HOST=http://root:p%40ss%3A%22w%2F1@host {"error": "bad p@ss:\\"w/1"} p@ss:"w/1'
    assert redact(text, ['p@ss:"w/1']) == 'MC_HOST=http://root:********@host {"error": "bad ********"} ********'


def test_a_secret_json_field_is_masked_even_when_its_value_is_unknown():
    text = '{"accessKey":"app","secretKey":"gen\\"erated","password": "x"}'
    assert redact(text, []) == '{"accessKey":"app","secretKey":"********","password": "********"}'


def test_short_secrets_are_masked_and_empty_or_other_values_ignored():
    assert redact("user = app, port 4", ["app", "", None, 4]) == "user = ********, port 4"


def test_structures_are_masked_string_by_string():
    diff = [{"before": "key = s3cret\n", "after": "key = new-s3cret\n", "lines": 1}]
    assert redact_data(diff, ["s3cret", "new-s3cret"]) == [
        {"before": "key = ********\n", "after": "key = ********\n", "lines": 1}]
