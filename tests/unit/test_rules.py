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
