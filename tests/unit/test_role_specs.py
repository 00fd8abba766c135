"""Every role documents every variable, and defaults agree with the spec."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent.name for p in ROOT.glob("roles/*/meta/argument_specs.yml"))


def _load(path):
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def test_every_role_has_an_argument_spec():
    assert set(ROLES) == {p.name for p in (ROOT / "roles").iterdir() if p.is_dir()}


@pytest.mark.parametrize("role", ROLES)
def test_spec_and_defaults_agree(role):
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    documented = set()
    for name, entry in specs.items():
        options = entry.get("options") or {}
        for option, spec in options.items():
            assert spec.get("description"), f"{role}:{name}: {option} has no description"
            if option in defaults and "default" in spec:
                assert spec["default"] == defaults[option], f"{role}:{name}: default of {option} differs"
        documented |= set(options)
    assert sorted(set(defaults) - documented) == [], f"{role}: variables in defaults without a spec"
    undocumented_defaults = {
        option for entry in specs.values() for option, spec in (entry.get("options") or {}).items()
        if "default" in spec and option not in defaults and not option.startswith("appstack_")}
    assert sorted(undocumented_defaults) == [], f"{role}: spec defaults missing from defaults/main.yml"


@pytest.mark.parametrize("role", ROLES)
def test_role_variables_are_prefixed(role):
    prefix = role + "_"
    for source in ("defaults", "vars"):
        path = ROOT / "roles" / role / source / "main.yml"
        if path.exists():
            assert [k for k in _load(path) if not k.startswith(prefix)] == [], f"{path} has unprefixed names"


SERVICES = sorted(role for role in ROLES if f"{role}_containers" in _load(ROOT / "roles" / role / "vars" / "main.yml"))


def test_service_roles_are_derived_from_the_roles():
    from ansible_collections.appstack.platform.plugins.plugin_utils.stack import service_roles

    assert service_roles() == SERVICES
    assert {"postgres", "redis"} <= set(SERVICES)


@pytest.mark.parametrize("role", SERVICES)
def test_service_roles_describe_rules_order_and_endpoints(role):
    role_vars = _load(ROOT / "roles" / role / "vars" / "main.yml")
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    for name in ("_containers", "_preflight", "_endpoints"):
        assert f"{role}{name}" in role_vars, f"{role}: vars/main.yml lacks {role}{name}"
    assert f"{role}_start_after" in defaults, f"{role}: defaults/main.yml lacks {role}_start_after"


@pytest.mark.parametrize("role", ROLES)
def test_rules_name_documented_variables(role):
    from ansible_collections.appstack.platform.plugins.module_utils import rules

    documented = set()
    for owner in (role, "stack", "service", "image_factory"):
        specs = _load(ROOT / "roles" / owner / "meta" / "argument_specs.yml")["argument_specs"]
        documented |= {option for entry in specs.values() for option in (entry.get("options") or {})}
    for rule in _load(ROOT / "roles" / role / "vars" / "main.yml").get(f"{role}_preflight") or []:
        subject = rules.subject(rule)
        assert subject in documented | {"appstack_services"}, f"{role}: a rule is about {subject}, which no spec documents"


def test_factory_builds_the_version_each_role_runs():
    catalog = _load(ROOT / "roles/image_factory/vars/main.yml")["image_factory_catalog"]
    for role in SERVICES:
        defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
        if role == "app":
            # The app's components name their images; those from the catalog run its tag.
            for component in defaults["app_components"]:
                if component.get("image") in catalog:
                    assert str(component.get("version", defaults["app_version"])) == catalog[component["image"]]["tag"]
            continue
        image = _load(ROOT / "roles" / role / "vars" / "main.yml")[f"{role}_image"]
        assert defaults[f"{role}_image_tag"] == catalog[image]["tag"], role


def _free_form_maps(options: dict, prefix: str = "") -> list[str]:
    """Inputs (and their parts, as NAME.part) of type dict without suboptions: maps whose keys the role does not name."""
    found = []
    for option, spec in (options or {}).items():
        path = f"{prefix}.{option}" if prefix else option
        if spec.get("options"):
            found.extend(_free_form_maps(spec["options"], path))
        elif spec.get("type") == "dict":
            found.append(path)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_free_form_map_has_its_keys_checked_or_says_where_it_goes(role):
    """A new map input cannot slip through: its keys follow a `keys` rule in the engine's syntax, or the role
    declares it `no_config` (it reaches an API as data, never a configuration file, command line or env file).
    Its values are held to the shared rule of every input (no control characters) in any case."""
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    role_rules = _load(ROOT / "roles" / role / "vars" / "main.yml").get(f"{role}_preflight") or []
    covered = {rule["keys"] + ("." + rule["at"].replace("[]", "").replace("*", "").strip(".") if rule.get("at") else "")
               for rule in role_rules if "keys" in rule}
    declared = {name for rule in role_rules for kind in ("no_config",) if kind in rule
                for name in ([rule[kind]] if isinstance(rule[kind], str) else rule[kind])}
    maps = sorted({path for entry in specs.values() for path in _free_form_maps(entry.get("options"))})
    loose = [path for path in maps
             if path not in covered and path.split(".")[0] not in declared and not path.startswith("appstack_")]
    assert loose == [], f"{role}: free-form maps without a keys rule or a no_config declaration: {loose}"


def test_the_stack_wide_maps_are_covered_where_the_stack_checks_them():
    stack_rules = _load(ROOT / "roles/stack/vars/main.yml")["stack_preflight"]
    assert "appstack_image_sources" in {rule.get("keys") for rule in stack_rules}
