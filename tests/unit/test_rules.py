"""The rule kinds every role declares its cross-field checks with: each message names its variable."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.appstack.platform.plugins.module_utils import rules

CATALOG = {"redis": {"tag": "8.0", "official": "library/redis"}}


class Context:
    """A stand-in for the preflight's view of one role's inputs."""

    def __init__(self, values: dict, environment: str = "dev", defaults: dict | None = None,
                 enabled: list[str] | None = None):
        self.values = {"image_factory_catalog": CATALOG, "image_factory_source": "build", **values}
        self.environment = environment
        self.defaults = defaults or {}
        self.enabled_services = enabled

    def value(self, name: str) -> Any:
        return self.values[name]

    def default(self, name: str) -> Any:
        return self.defaults.get(name)

    def evaluate(self, expression: str) -> Any:
        return eval(expression, {}, dict(self.values))  # noqa: S307 - test stand-in for Jinja

    def render(self, text: str) -> str:
        return text


def check(rule: dict, **context: Any) -> list[str]:
    return rules.check(rule, Context(**context))


@pytest.mark.parametrize("value, ok", [("512m", True), ("128m", True), ("127m", False), ("lots", False), (True, False)])
def test_size_with_a_floor(value, ok):
    errors = check({"size": "m", "min": "128m"}, values={"m": value})
    assert (errors == []) is ok
    if not ok:
        assert errors[0].startswith("m: ") and "at least 128m" in errors[0]


def test_size_or_auto_checks_each_variable():
    errors = check({"size": ["a", "b", "c"], "auto": True}, values={"a": "auto", "b": "1g", "c": "12 parsecs"})
    assert errors == ["c: '12 parsecs' must be 'auto' or a size (e.g. 256m, 2g)"]


@pytest.mark.parametrize("value, ok", [(1, True), (65535, True), ("8080", True), (0, False), (70000, False), ("six", False), (True, False)])
def test_port(value, ok):
    errors = check({"port": "p"}, values={"p": value})
    assert (errors == []) is ok
    if not ok:
        assert errors == [f"p: {value!r} is not a port number between 1 and 65535"]


def test_range_and_match():
    assert check({"range": "n", "min": 1, "max": 10}, values={"n": 11}) == ["n: 11 must be a whole number between 1 and 10"]
    assert check({"range": "n", "min": 1, "max": 10}, values={"n": "7"}) == []
    errors = check({"match": "dbs", "attribute": "name", "pattern": "[a-z_]+", "msg": "must be an identifier"},
                   values={"dbs": [{"name": "ok"}, {"name": "Bad-Name"}]})
    assert errors == ["dbs: every name must be an identifier; got 'Bad-Name'"]


def test_match_of_an_optional_attribute_checks_only_the_items_that_have_it():
    rule = {"match": "routes", "attribute": "timeout", "pattern": "[0-9]+s", "msg": "must be seconds", "optional": True}
    assert check(rule, values={"routes": [{"path": "/a/"}, {"timeout": "5s"}]}) == []
    assert check(rule, values={"routes": [{"path": "/a/"}, {"timeout": "ever"}]}) == ["routes: every timeout must be seconds; got 'ever'"]
    required = {key: value for key, value in rule.items() if key != "optional"}
    assert check(required, values={"routes": [{"path": "/a/"}]}) == ["routes: every timeout must be seconds; got None"]


def test_prod_secret_refuses_short_secrets_and_the_dev_default_only_in_prod():
    rule = {"prod_secret": "pw"}
    assert check(rule, values={"pw": "dev-default-secret-x"}, defaults={"pw": "dev-default-secret-x"}) == []
    for value in ("dev-default-secret-x", "short", ""):
        errors = check(rule, values={"pw": value}, environment="prod", defaults={"pw": "dev-default-secret-x"})
        assert len(errors) == 1 and errors[0].startswith("pw: prod needs a real secret of at least 16 characters")
    assert check(rule, values={"pw": "x9-very-long-prod-secret"}, environment="prod", defaults={"pw": "dev"}) == []


def test_prod_passwords_and_prod_private():
    users = [{"name": "app", "password": "short"}, {"name": "ok", "password": "long-enough-pw"}]
    assert check({"prod_passwords": "u"}, values={"u": users}, environment="prod") == [
        "u: prod needs passwords of at least 12 characters (too short: app)"]
    assert check({"prod_passwords": "u"}, values={"u": users}) == []
    assert "prod publishes no port" in check({"prod_private": "pub"}, values={"pub": True}, environment="prod")[0]
    assert check({"prod_private": "pub"}, values={"pub": "false"}, environment="prod") == []


@pytest.mark.parametrize("value, ok", [("127.0.0.1", True), ("::1", True), ("", True), ("myhost", False), ("10.0.0.300", False)])
def test_ip_address(value, ok):
    errors = check({"ip_address": "a", "empty": True}, values={"a": value})
    assert (errors == []) is ok
    if not ok:
        assert errors[0].startswith("a: ") and "not host names" in errors[0]


def test_needs_names_the_service_list():
    rule = {"needs": "postgres", "by": "app", "because": "app_database_enabled"}
    assert check(rule, values={}, enabled=["app", "postgres"]) == []
    assert check(rule, values={}, enabled=["app"]) == [
        "appstack_services: app needs postgres (app_database_enabled); add postgres to appstack_services"]
    assert check(rule, values={}, enabled=None) == []


def test_factory_tag():
    assert check({"factory_tag": "t", "image": "redis"}, values={"t": "8.0"}) == []
    assert check({"factory_tag": "t", "image": "redis"}, values={"t": "7.2"}) == [
        "t: '7.2' cannot come from the image factory, which builds redis 8.0; use 8.0 or appstack_image_source: registry"]
    assert check({"factory_tag": "t", "image": "redis"}, values={"t": "7.2", "image_factory_source": "registry"}) == []


def test_that_and_when():
    rule = {"that": "n > 1", "msg": "n: must be above 1"}
    assert check(rule, values={"n": 0}) == ["n: must be above 1"]
    assert check({**rule, "when": "False"}, values={"n": 0}) == []


def test_a_rule_needs_exactly_one_kind():
    with pytest.raises(rules.RuleError):
        rules.check({"size": "a", "port": "b"}, Context({}))
    assert rules.subject({"that": "x", "msg": "var_name: text"}) == "var_name"


@pytest.mark.parametrize("value, where", [
    ({"maxclients": "10\nrequirepass x"}, "redis_config: the value of maxclients holds a line break (\\n)"),
    ({"log.retention.ms": "1\r"}, "redis_config: the value of log.retention.ms holds a carriage return (\\r)"),
    ({"a\nb": "1"}, "redis_config: the key 'a\\nb' holds a line break (\\n)"),
    ({"nested": [{"deep": "x\u2028y"}]}, "redis_config: the value of nested[0].deep holds U+2028"),
    ("one\x00two", "redis_config: the value holds U+0000"),
])
def test_no_key_or_string_of_any_input_may_hold_a_control_character(value, where):
    errors = rules.control_characters("redis_config", value)
    assert len(errors) == 1 and errors[0].startswith(where), errors
    assert "requirepass" not in errors[0], "values are never echoed (they may be secrets)"


def test_printable_text_of_any_kind_passes_the_shared_rule():
    assert rules.control_characters("app_env", {"GREETING": "grüße, 'quoted' \"too\" $HOME \\ ok", "N": 3, "B": True}) == []


def test_keys_follow_the_engines_syntax_are_not_the_roles_own_and_take_one_value():
    rule = {"keys": "redis_config", "pattern": "[a-z][a-z0-9-]*", "msg": "must be a Redis directive name", "scalar": True,
            "reserved": ["port", "dir"]}
    assert check(rule, values={"redis_config": {"maxclients": 100, "lazyfree-lazy-eviction": True}}) == []
    assert check(rule, values={"redis_config": {"Max Clients": 1, "port": 1, "save": ["60 1"]}}) == [
        "redis_config: every key must be a Redis directive name; got 'Max Clients'",
        "redis_config: port is set by the role; use its own variable",
        "redis_config: the value of save must be a string, a number or a boolean, not a list or a map"]


def test_keys_of_maps_inside_lists_are_found_along_their_path():
    rule = {"keys": "app_components", "at": "[].processes[].env", "pattern": "[A-Z_]+", "msg": "must be a name"}
    components = [{"env": {"bad-top": 1}, "processes": [{"env": {"OK": 1}}, {"env": {"bad-one": 2}}, {}]}]
    assert check(rule, values={"app_components": components}) == [
        "app_components: every key of [].processes[].env must be a name; got 'bad-one'"]
    assert rules.maps_at({"a": {"x": 1}, "b": {"y": 2}}, "*") == [{"x": 1}, {"y": 2}]


def test_declarations_check_nothing_and_are_read_from_the_rules_as_they_stand():
    role_rules = [{"multiline": ["postgres_tls_cert", "postgres_tls_key"]}, {"no_config": "minio_policies", "reaches": "an API"},
                  {"port": "postgres_host_port"}]
    assert rules.declared(role_rules, "multiline") == {"postgres_tls_cert", "postgres_tls_key"}
    assert rules.declared(role_rules, "no_config") == {"minio_policies"}
    assert check(role_rules[0], values={}) == [] and rules.subject(role_rules[1]) == "minio_policies"


def test_a_keys_rule_may_take_lists_of_values_where_the_engine_does():
    rule = {"keys": "kafka_topics", "at": "[].configs", "pattern": "[a-z.]+", "msg": "must be a config", "scalar": True,
            "lists": True}
    assert check(rule, values={"kafka_topics": [{"configs": {"cleanup.policy": ["compact", "delete"]}}]}) == []
    assert check(rule, values={"kafka_topics": [{"configs": {"cleanup.policy": [{"a": 1}]}}]}) == [
        "kafka_topics: the value of cleanup.policy of [].configs must be a string, a number or a boolean (or a list of them), "
        "not a map or a list of maps"]
