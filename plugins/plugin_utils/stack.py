# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The variables of several appstack roles at once, on the controller.

The whole-stack preflight and the deploy actions need every enabled role's inputs before
any of those roles runs. ``Stack`` reads each role's ``defaults/main.yml``,
``vars/main.yml`` and ``meta/argument_specs.yml`` (from the collection, or a team's role from the
playbook's ``roles/`` or the roles path) and layers them the way Ansible does inside a role: role defaults, then the play's variables (inventory,
play, extra vars, facts), then role vars. Values are templated on demand, so a bad
value in one role does not hide the errors of another.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.template import trust_as_template
from ansible_collections.appstack.platform.plugins.module_utils import containers, rules

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(COLLECTION_ROOT, "roles")
#: Roles that deploy containers carry this variable in vars/main.yml.
CONTAINERS_SUFFIX = "_containers"
#: Their cross-field rules (see module_utils/rules.py).
PREFLIGHT_SUFFIX = "_preflight"


class StackError(AnsibleError):
    """A problem with the stack itself (unknown role, broken description), not with one input."""


def service_roles() -> list[str]:
    """Every role of the collection that deploys containers (the services appstack_services may name)."""
    found = []
    for name in sorted(os.listdir(ROLES_DIR)):
        path = os.path.join(ROLES_DIR, name, "vars", "main.yml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                if re.search(rf"^{re.escape(name)}{CONTAINERS_SUFFIX}:", handle.read(), re.M):
                    found.append(name)
    return found


def short_message(exc: Exception) -> str:
    """The first line of an Ansible error, without the origin and help text."""
    text = getattr(exc, "message", None) or str(exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__


def strip_defaults(options: dict) -> dict:
    """An argument spec without its C(default)s: they document, the role's defaults/main.yml decides."""
    clean = {}
    for name, spec in (options or {}).items():
        spec = {k: v for k, v in spec.items() if k not in ("default", "description")}
        if "options" in spec:
            spec["options"] = strip_defaults(spec["options"])
        clean[name] = spec
    return clean


def role_search_path(task_vars: dict) -> list[str]:
    """Where roles are found: this collection, then the playbook's roles/ and the configured roles_path."""
    paths = [ROLES_DIR]
    if task_vars.get("playbook_dir"):
        paths.append(os.path.join(task_vars["playbook_dir"], "roles"))
    paths.extend(C.DEFAULT_ROLES_PATH or [])
    return paths


class Stack:
    """Roles' variables layered over a task's variables, templated on demand."""

    def __init__(self, action: Any, task_vars: dict, roles: list[str]):
        self.action = action
        self.roles = [role.removeprefix("appstack.platform.") for role in dict.fromkeys(roles)]
        self.defaults: dict[str, dict] = {}
        self.specs: dict[str, dict] = {}
        self.role_vars: dict[str, dict] = {}
        search = role_search_path(task_vars)
        self.paths = {role: next((os.path.join(base, role) for base in search
                                  if os.path.isdir(os.path.join(base, role, "tasks")) or os.path.isdir(os.path.join(base, role, "vars"))), None)
                      for role in self.roles}
        unknown = [role for role, path in self.paths.items() if path is None]
        if unknown:
            raise StackError(f"unknown roles {unknown}; looked in {', '.join(search)}")
        merged: dict[str, Any] = {}
        for role in self.roles:
            self.defaults[role] = self._load(role, "defaults", "main.yml")
            self.role_vars[role] = self._load(role, "vars", "main.yml")
            spec = self._load(role, "meta", "argument_specs.yml").get("argument_specs", {})
            self.specs[role] = (spec.get("main") or {}).get("options") or {}
            merged.update(self.defaults[role])
        merged.update(task_vars)
        for role in self.roles:
            merged.update(self.role_vars[role])
        self.variables = merged
        self.templar = action._templar.copy_with_new_env(available_variables=merged)
        self._cache: dict[str, Any] = {}

    def _load(self, role: str, folder: str, name: str) -> dict:
        path = os.path.join(self.paths[role], folder, name)
        if not os.path.isfile(path):
            return {}
        # unsafe: no deep copy of the cached data; nothing here mutates what was loaded.
        return self.action._loader.load_from_file(path, unsafe=True, trusted_as_template=True) or {}

    # -- values -----------------------------------------------------------------
    def defined(self, name: str) -> bool:
        return name in self.variables

    def value(self, name: str) -> Any:
        """The templated value of NAME; raises AnsibleError when undefined or broken."""
        if name not in self._cache:
            if name not in self.variables:
                raise StackError(f"{name} is not defined")
            self._cache[name] = self.templar.template(self.variables[name])
        return self._cache[name]

    def default_of(self, role: str, name: str) -> Any:
        raw = self.defaults.get(role, {}).get(name)
        if raw is None:
            return None
        try:
            return self.templar.template(raw)
        except AnsibleError:
            return None

    def evaluate(self, expression: str) -> Any:
        return self.templar.evaluate_expression(trust_as_template(expression))

    def render(self, text: str) -> str:
        return self.templar.template(trust_as_template(text))

    # -- checks ---------------------------------------------------------------------
    def argument_errors(self, role: str) -> tuple[list[str], set]:
        """Argument spec errors of ROLE (each names its variable) and the no_log values seen."""
        spec = strip_defaults(self.specs.get(role, {}))
        params: dict[str, Any] = {}
        unset_broken: list[str] = []
        errors: list[str] = []
        for name in spec:
            if not self.defined(name):
                continue
            try:
                params[name] = self.value(name)
            except AnsibleError as exc:
                message = f"{name}: cannot be evaluated: {short_message(exc)}"
                (unset_broken if self.is_default(role, name) else errors).append(message)
        result = ArgumentSpecValidator({k: v for k, v in spec.items() if k in params}).validate(
            params, validate_role_argument_spec=True)
        # An unknown key in a map with sub-options is named with its path (rules.unknown_keys, over the values as
        # Ansible converted them) instead of Ansible's one "Supported parameters include" line for all of them.
        unknown = rules.unknown_keys(spec, result.validated_parameters)
        messages = [error.msg for error in result.errors if not (unknown and isinstance(error, UnsupportedError))]
        named = [m for m in messages if any(option in m for option in spec)]
        errors.extend(unknown + (named or messages))
        # The rule of every input: no line break or other control character, unless the role says it is text of
        # several lines by design (rules.py).
        multiline = rules.declared(self.role_vars.get(role, {}).get(role + PREFLIGHT_SUFFIX), "multiline")
        for name, value in params.items():
            if name not in multiline:
                errors.extend(rules.control_characters(name, value))
        # A default derived from a bad input breaks too; it is news only when nothing else is wrong.
        return errors or unset_broken, set(result._no_log_values)

    def is_default(self, role: str, name: str) -> bool:
        """Whether NAME still has ROLE's default (nobody set it), so its errors follow from others."""
        return name in self.defaults.get(role, {}) and self.variables.get(name) == self.defaults[role][name]

    def rule_errors(self, role: str) -> tuple[list[str], list[str]]:
        """ROLE's rule violations (``<role>_preflight``, every rule evaluated) and the rules that could not be evaluated."""
        errors: list[str] = []
        unusable: list[str] = []
        role_rules = self.role_vars.get(role, {}).get(role + PREFLIGHT_SUFFIX) or []
        context = _RuleContext(self, role)
        for rule in role_rules:
            try:
                rule = {key: value if key in ("that", "when", "msg") else self.templar.template(value)
                        for key, value in dict(rule).items()}
                errors.extend(rules.check(rule, context))
            except (AnsibleError, ValueError, TypeError, KeyError) as exc:
                unusable.append(f"{rules.subject(rule)}: cannot be checked: {short_message(exc)}")
        return errors, unusable

    def container_specs(self, role: str) -> list[dict]:
        """ROLE's container descriptions, normalized (name, image and health check required)."""
        name = role + CONTAINERS_SUFFIX
        if not self.defined(name):
            raise StackError(f"role {role} describes no containers ({name} in its vars/main.yml)")
        specs = self.value(name)
        if isinstance(specs, dict):
            specs = [specs]
        try:
            return [containers.normalize(dict(spec), role) for spec in specs]
        except containers.SpecError as exc:
            raise StackError(str(exc)) from exc

    def has_entry_point(self, role: str, name: str) -> bool:
        """Whether ROLE has tasks/NAME.yml (for example ``prepare``, run before any container starts)."""
        return os.path.isfile(os.path.join(self.paths[role], "tasks", f"{name}.yml"))

    def template_path(self, role: str, template: str) -> str:
        """A config template: an absolute controller path, or one in the role's templates/ folder."""
        if os.path.isabs(template):
            return template
        return os.path.join(self.paths[role], "templates", template)

    def render_file(self, role: str, template: str) -> str:
        """Render a template file as the template module would (trim_blocks, role search path)."""
        path = self.template_path(role, template)
        if not os.path.isfile(path):
            raise StackError(f"{role}: template {template} not found (looked for {path})")
        with open(path, encoding="utf-8") as handle:
            data = trust_as_template(handle.read())
        variables = dict(self.variables)
        variables.setdefault("ansible_managed", "Ansible managed")
        templar = self.templar.copy_with_new_env(
            searchpath=[os.path.dirname(path), os.path.join(self.paths[role], "templates")],
            available_variables=variables)
        rendered = templar.template(data, escape_backslashes=False, overrides={"trim_blocks": True})
        return "" if rendered is None else str(rendered)


class _RuleContext:
    """Answers a rule's questions about one role's inputs."""

    def __init__(self, stack: Stack, role: str):
        self._stack = stack
        self._role = role
        env_var = f"{role}_environment"
        env_name = env_var if stack.defined(env_var) else "appstack_env"
        self.environment = str(stack.value(env_name)) if stack.defined(env_name) else "dev"
        self.enabled_services = stack.value("appstack_services") if stack.defined("appstack_services") else None

    def value(self, name: str) -> Any:
        return self._stack.value(name)

    def default(self, name: str) -> Any:
        return self._stack.default_of(self._role, name)

    def evaluate(self, expression: str) -> Any:
        return self._stack.evaluate(expression)

    def render(self, text: str) -> str:
        return self._stack.render(text)
