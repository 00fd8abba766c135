"""An unknown key in a map with declared sub-options is named with its path, at every depth and in every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.appstack.platform.plugins.module_utils.rules import unknown_keys
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack

ROOT = Path(__file__).resolve().parents[2]

PROCESS = {"name": {"type": "str"}, "command": {"type": "list", "elements": "str"}, "port": {"type": "int"},
           "env": {"type": "dict"}}
SPEC = {
    "app_components": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str"},
        "build": {"type": "dict", "options": {"context": {"type": "str"}, "args": {"type": "dict"}}},
        "processes": {"type": "list", "elements": "dict", "options": PROCESS},
    }},
    "app_env": {"type": "dict"},
    "app_port": {"type": "int"},
}


def test_a_key_of_a_list_in_a_list_is_named_with_both_indexes():
    params = {"app_components": [{"name": "api", "processes": [{"name": "web"}, {"name": "ws", "ports": {"ws": 3002}}]}]}
    assert unknown_keys(SPEC, params) == [
        "app_components[0].processes[1]: unknown key 'ports' (known: command, env, name, port)"]


def test_a_key_of_a_dict_option_is_named_without_an_index():
    params = {"app_components": [{"name": "api"}, {"name": "ui", "build": {"context": "ui", "dockerfle": "x"}}]}
    assert unknown_keys(SPEC, params) == ["app_components[1].build: unknown key 'dockerfle' (known: args, context)"]


def test_every_unknown_key_of_every_level_is_named_once_in_order():
    params = {"app_components": [{"nmae": "api", "image": "x", "processes": [{"name": "web", "replica": 2}]}]}
    assert unknown_keys(SPEC, params) == [
        "app_components[0]: unknown keys 'nmae', 'image' (known: build, name, processes)",
        "app_components[0].processes[0]: unknown key 'replica' (known: command, env, name, port)"]


def test_known_keys_free_form_maps_and_other_types_pass():
    params = {"app_components": [{"name": "api", "build": {"args": {"ANY_KEY": "1"}},
                                  "processes": [{"name": "web", "env": {"WHATEVER": "x"}}, "not-a-dict", None]}],
              "app_env": {"FREE": "form"}, "app_port": 8000}
    assert unknown_keys(SPEC, params) == []
    assert unknown_keys(SPEC, {"app_components": "a string", "app_env": None}) == []
    assert unknown_keys(SPEC, {"app_components": [{"name": "api", "build": None, "processes": None}]}) == []


def test_an_alias_is_a_known_key():
    spec = {"users": {"type": "list", "elements": "dict", "options": {"password": {"type": "str", "aliases": ["pass"]}}}}
    assert unknown_keys(spec, {"users": [{"pass": "x"}]}) == []
    assert unknown_keys(spec, {"users": [{"pwd": "x"}]}) == ["users[0]: unknown key 'pwd' (known: password)"]


def test_a_key_that_is_not_text_is_shown_as_it_is():
    spec = {"topics": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}}}}
    assert unknown_keys(spec, {"topics": [{"name": "a", 3: "b"}]}) == ["topics[0]: unknown key 3 (known: name)"]


# -- in the whole-stack preflight ---------------------------------------------------------------------------------------


class _Templar:
    """Values are given already templated."""

    def template(self, value: Any) -> Any:
        return value


def _stack(role: str, options: dict, variables: dict) -> Stack:
    """A Stack of ROLE with OPTIONS as its argument spec and VARIABLES set (no role files read)."""
    stack = Stack.__new__(Stack)
    stack.roles = [role]
    stack.specs, stack.defaults, stack.role_vars = {role: options}, {role: {}}, {role: {}}
    stack.variables, stack._cache, stack.templar = dict(variables), {}, _Templar()
    return stack


def _role_options(role: str) -> dict:
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return spec["main"]["options"]


def test_the_preflight_names_the_key_instead_of_ansibles_supported_parameters():
    stack = _stack("app", SPEC, {"app_components": [{"name": "api", "processes": [{"name": "web", "prots": {"http": 1}}]}]})
    errors, _ = stack.argument_errors("app")
    assert errors == ["app_components[0].processes[0]: unknown key 'prots' (known: command, env, name, port)"]
    assert not any("Supported parameters" in error for error in errors)


def test_a_typo_in_a_real_roles_list_is_named_and_ansibles_other_messages_stay():
    users = [{"name": "app", "pasword": "app-secret-1", "privileges": [{"database": "app", "levle": "all"}]}]
    stack = _stack("postgres", _role_options("postgres"), {"postgres_users": users, "postgres_max_connections": "many"})
    errors, _ = stack.argument_errors("postgres")
    assert errors[0].startswith("postgres_users[0]: unknown key 'pasword' (known: attributes, name, password, privileges)")
    assert errors[1].startswith("postgres_users[0].privileges[0]: unknown key 'levle' (known: database, level)")
    said = "\n".join(errors)
    assert "missing required arguments: password" in said
    assert "postgres_max_connections" in said and "int" in said
    assert "Supported parameters" not in said


@pytest.mark.parametrize("role", sorted(p.parent.parent.name for p in ROOT.glob("roles/*/meta/argument_specs.yml")))
def test_every_roles_nested_options_are_walked(role):
    """In every role, the first list of dicts or dict with options refuses a key it does not declare."""
    options = _role_options(role)
    nested = [name for name, spec in options.items() if spec.get("options")
              and (spec.get("type") == "dict" or (spec.get("type") == "list" and spec.get("elements") == "dict"))]
    if not nested:
        pytest.skip(f"{role} has no option with sub-options")
    for name in nested:
        item = {"not_an_option_anywhere": 1}
        value = item if options[name]["type"] == "dict" else [item]
        where = name if options[name]["type"] == "dict" else f"{name}[0]"
        assert f"{where}: unknown key 'not_an_option_anywhere' (known: " in "\n".join(unknown_keys(options, {name: value}))


def test_a_rule_about_a_variable_already_named_with_a_path_is_not_repeated():
    from ansible_collections.appstack.platform.plugins.plugin_utils import deploy

    assert deploy.variable_of("postgres_users[0]: unknown key 'pasword' (known: name)") == "postgres_users"
    assert deploy.variable_of("app_components[0].processes[1].ports: 'x'") == "app_components"
    assert deploy.variable_of("postgres_users: every user needs a non-empty password") == "postgres_users"
