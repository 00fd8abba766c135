# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Elasticsearch's declared state against its live state, as REST requests (appstack.platform.elasticsearch_provision).

The module reads the live state over HTTP (snapshot repository, index templates, indices with
their settings, mappings - with every field's defaults - and aliases, roles, users), hands it
to :func:`plan` with the declaration, and sends only the requests :func:`plan` returns. Every
incompatible change (a field's type, a parameter or a static setting that cannot change on an
existing index) is found here, before any request is sent, and named in the error.

Declared settings, mappings and aliases are a *subset* of the live ones: what the declaration
does not mention is not managed (a template's contribution, a setting made by hand).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


class ElasticsearchStateError(Exception):
    """The declared state cannot be reached without losing data (the message names every reason)."""


@dataclass
class Request:
    """One REST call: method, path (with query), JSON body, and what it does in words (no secrets)."""

    method: str
    path: str
    body: Any = None
    what: str = ""
    #: Something the module must do on the Docker host first ("repository_owner").
    before: str = ""
    #: Extra data for ``before`` (kept out of the body).
    extra: dict = field(default_factory=dict)


#: Index settings that can only be chosen when the index is created (changing them needs a new index).
STATIC_SETTINGS = ("index.number_of_shards", "index.number_of_routing_shards", "index.codec",
                   "index.routing_partition_size", "index.soft_deletes.", "index.analysis.", "index.sort.",
                   "index.store.type", "index.shard.check_on_startup", "index.load_fixed_bitset_filters_eagerly",
                   "index.mode", "index.mapping.source.mode")
#: Field parameters an existing index accepts a change of (PUT _mapping).
UPDATABLE_PARAMETERS = frozenset({"ignore_above", "meta", "ignore_malformed", "eager_global_ordinals", "fielddata",
                                  "search_analyzer", "search_quote_analyzer", "copy_to", "coerce"})
#: Object parameters an existing index accepts a change of, and the defaults of the others.
UPDATABLE_OBJECT_PARAMETERS = frozenset({"dynamic"})
OBJECT_DEFAULTS = {"enabled": True, "subobjects": True}
#: Top-level mapping keys an existing index accepts a change of, and the defaults of the others.
UPDATABLE_TOP_LEVEL = frozenset({"dynamic", "_meta", "dynamic_templates", "date_detection", "numeric_detection",
                                 "runtime"})
TOP_LEVEL_DEFAULTS = {"_source": {"enabled": True}, "_routing": {"required": False}}
OBJECT_TYPES = ("object", "nested")


# -- normal forms ----------------------------------------------------------------------------------
def scalar(value: Any) -> Any:
    """A setting or mapping value as Elasticsearch prints it: strings for booleans and numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


def canonical(value: Any) -> Any:
    """VALUE with every scalar as :func:`scalar` prints it (dict order never matters in comparisons)."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return scalar(value)


def flat_settings(settings: dict | None, prefix: str = "") -> dict[str, Any]:
    """Nested or dotted settings as one flat mapping of dotted names to printed values."""
    flat: dict[str, Any] = {}
    for key, value in (settings or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_settings(value, name + "."))
        elif isinstance(value, (list, tuple)):
            flat[name] = [scalar(v) for v in value]
        else:
            flat[name] = scalar(value)
    return flat


def index_settings(settings: dict | None) -> dict[str, Any]:
    """Declared index settings, flat, each named with its ``index.`` prefix (as Elasticsearch stores them)."""
    return {(name if name.startswith("index.") else f"index.{name}"): value
            for name, value in flat_settings(settings).items()}


def is_static(setting: str) -> bool:
    """Whether an index setting is fixed at creation."""
    return any(setting == name or (name.endswith(".") and setting.startswith(name)) for name in STATIC_SETTINGS)


def alias_definition(alias: dict | None) -> dict:
    """A declared alias in the form Elasticsearch prints (``routing`` split into index and search routing)."""
    alias = dict(alias or {})
    routing = alias.pop("routing", None)
    if routing is not None:
        alias.setdefault("index_routing", routing)
        alias.setdefault("search_routing", routing)
    return {k: v for k, v in alias.items() if v is not None and v is not False}


def canonical_aliases(aliases: dict | None) -> dict:
    return {name: canonical(alias_definition(value)) for name, value in (aliases or {}).items()}


def _unwrap(mapping: dict | None) -> dict:
    """A mapping without the legacy single type name some answers wrap it in."""
    mapping = dict(mapping or {})
    if list(mapping) == ["_doc"] and isinstance(mapping["_doc"], dict):
        return dict(mapping["_doc"])
    return mapping


def canonical_mapping(mapping: dict | None) -> Any:
    """A mapping as comparable data; an object field's implicit ``type: object`` is spelled out."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {str(k): walk(v) for k, v in node.items()}
            props = out.get("properties")
            if isinstance(props, dict):
                for definition in props.values():
                    if isinstance(definition, dict) and "properties" in definition:
                        definition.setdefault("type", "object")
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return scalar(node)
    return walk(_unwrap(mapping))


# -- index templates ----------------------------------------------------------------------------------
def template_body(template: dict) -> dict:
    """A declared template (``index_patterns``, ``priority``, ``settings``, ``mappings``, ``aliases``) as the
    body of PUT _index_template."""
    inner = {key: template[key] for key in ("settings", "mappings", "aliases") if template.get(key)}
    body: dict[str, Any] = {"index_patterns": list(template["index_patterns"]),
                            "priority": int(template.get("priority", 200)), "template": inner}
    if template.get("composed_of"):
        body["composed_of"] = list(template["composed_of"])
    return body


def canonical_template(body: dict) -> dict:
    """A template body (declared, or ``index_template`` as GET _index_template prints it) in comparable form."""
    inner = body.get("template") or {}
    return {
        "index_patterns": sorted(body.get("index_patterns") or []),
        "priority": scalar(body.get("priority", 0)),
        "composed_of": list(body.get("composed_of") or []),
        "settings": index_settings(inner.get("settings")),
        "mappings": canonical_mapping(inner.get("mappings")),
        "aliases": canonical_aliases(inner.get("aliases")),
    }


def plan_template(template: dict, live: dict | None) -> Request | None:
    """PUT the template unless the live one is the same."""
    body = template_body(template)
    if live is not None and canonical_template(body) == canonical_template(live):
        return None
    verb = "create" if live is None else "update"
    return Request("PUT", f"/_index_template/{_path(template['name'])}", body, f"{verb} index template {template['name']}")


# -- indices --------------------------------------------------------------------------------------------
def _type_of(definition: dict) -> str:
    return str(definition.get("type") or "object")


def _differs(declared: Any, live: Any) -> bool:
    return canonical(declared) != canonical(live)


def _show(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True)


def _leaf_changes(index: str, path: str, declared: dict, live: dict, defaults: dict[str, dict],
                  errors: list[str]) -> dict | None:
    """The update of one existing leaf field (its live definition plus the changes), None when it matches."""
    effective = {**defaults.get(path, {}), **live}
    changed: dict[str, Any] = {}
    for key, value in declared.items():
        if key in ("type", "fields"):
            continue
        if key in effective and not _differs(value, effective[key]):
            continue
        if key in UPDATABLE_PARAMETERS:
            changed[key] = value
        else:
            was = _show(effective[key]) if key in effective else "not set"
            errors.append(f"{index}: field {path}: {key} cannot change on an existing index "
                          f"(live {was}, declared {_show(value)})")
    sub_updates: dict[str, Any] = {}
    live_fields = live.get("fields") or {}
    for name, sub in (declared.get("fields") or {}).items():
        sub_path = f"{path}.{name}"
        if name not in live_fields:
            sub_updates[name] = sub
            continue
        if _type_of(sub) != _type_of(live_fields[name]):
            errors.append(_type_error(index, sub_path, live_fields[name], sub))
            continue
        update = _leaf_changes(index, sub_path, sub, live_fields[name], defaults, errors)
        if update is not None:
            sub_updates[name] = update
    if not changed and not sub_updates:
        return None
    update = {**live, **changed}
    if sub_updates:
        update["fields"] = {**live_fields, **sub_updates}
    return update


def _type_error(index: str, path: str, live: dict, declared: dict) -> str:
    return (f"{index}: field {path} is {_type_of(live)} on the live index and declared {_type_of(declared)}; "
            "a field's type cannot change on an existing index (create a new index with the new mapping, "
            "copy the documents into it and move the alias)")


def _properties_changes(index: str, prefix: str, declared: dict, live: dict, defaults: dict[str, dict],
                        errors: list[str]) -> dict:
    """The properties to send for the declared ones (new fields, changed updatable parameters)."""
    updates: dict[str, Any] = {}
    for name, definition in (declared or {}).items():
        path = f"{prefix}{name}"
        definition = dict(definition or {})
        current = (live or {}).get(name)
        if current is None:
            updates[name] = definition
            continue
        if _type_of(definition) != _type_of(current):
            errors.append(_type_error(index, path, current, definition))
            continue
        if _type_of(definition) in OBJECT_TYPES:
            changed = {}
            for key, value in definition.items():
                if key in ("type", "properties"):
                    continue
                live_value = current.get(key, OBJECT_DEFAULTS.get(key))
                if live_value is not None and not _differs(value, live_value):
                    continue
                if key in UPDATABLE_OBJECT_PARAMETERS:
                    changed[key] = value
                else:
                    was = _show(live_value) if live_value is not None else "not set"
                    errors.append(f"{index}: field {path}: {key} cannot change on an existing index "
                                  f"(live {was}, declared {_show(value)})")
            inner = _properties_changes(index, path + ".", definition.get("properties") or {},
                                        current.get("properties") or {}, defaults, errors)
            if changed or inner:
                update = dict(changed)
                if _type_of(definition) == "nested":
                    update["type"] = "nested"
                if inner:
                    update["properties"] = inner
                updates[name] = update
            continue
        update = _leaf_changes(index, path, definition, current, defaults, errors)
        if update is not None:
            updates[name] = update
    return updates


def mapping_changes(index: str, declared: dict | None, live: dict | None,
                    field_defaults: dict[str, dict] | None = None) -> tuple[dict | None, list[str]]:
    """What PUT /<index>/_mapping must send for the declared mapping (None: nothing), and every reason it cannot.

    FIELD_DEFAULTS maps a field's full name to its definition with every default
    (GET /<index>/_mapping/field/*?include_defaults=true), so a declared parameter equal to a
    default the live mapping does not print is no change.
    """
    declared = _unwrap(declared)
    live = _unwrap(live)
    defaults = field_defaults or {}
    errors: list[str] = []
    body: dict[str, Any] = {}
    for key, value in declared.items():
        if key == "properties":
            continue
        live_value = live.get(key, TOP_LEVEL_DEFAULTS.get(key))
        if live_value is not None and not _differs(value, live_value):
            continue
        if key in UPDATABLE_TOP_LEVEL:
            body[key] = value
        else:
            was = _show(live_value) if live_value is not None else "not set"
            errors.append(f"{index}: mapping {key} cannot change on an existing index (live {was}, declared {_show(value)})")
    properties = _properties_changes(index, "", declared.get("properties") or {}, live.get("properties") or {},
                                     defaults, errors)
    if properties:
        body["properties"] = properties
    return (body or None), errors


def settings_changes(index: str, declared: dict | None, live: dict[str, Any]) -> tuple[dict, list[str]]:
    """Dynamic settings to PUT (flat), and every static setting the declaration would change."""
    changes: dict[str, Any] = {}
    errors: list[str] = []
    for name, value in index_settings(declared).items():
        if name in live and not _differs(value, live[name]):
            continue
        if is_static(name):
            was = _show(live[name]) if name in live else "not set"
            errors.append(f"{index}: setting {name} is fixed when an index is created (live {was}, declared "
                          f"{_show(value)}); create a new index with it, copy the documents and move the alias")
        else:
            changes[name] = value
    return changes, errors


def alias_changes(index: str, declared: dict | None, live: dict | None) -> list[dict]:
    """``_aliases`` add actions for declared aliases missing or different on INDEX (others are left alone)."""
    actions = []
    live = canonical_aliases(live)
    for name, definition in (declared or {}).items():
        definition = alias_definition(definition)
        if live.get(name) != canonical(definition):
            actions.append({"add": {"index": index, "alias": name, **definition}})
    return actions


def live_index(answer: dict, index: str) -> dict:
    """GET /<index>?flat_settings=true&include_defaults=true as {settings, mappings, aliases}."""
    entry = answer.get(index) or (next(iter(answer.values())) if len(answer) == 1 else {})
    return {"settings": {**(entry.get("defaults") or {}), **(entry.get("settings") or {})},
            "mappings": entry.get("mappings") or {},
            "aliases": entry.get("aliases") or {}}


def field_defaults(answer: dict, index: str) -> dict[str, dict]:
    """GET /<index>/_mapping/field/*?include_defaults=true as full field name -> definition with defaults."""
    entry = answer.get(index) or (next(iter(answer.values())) if len(answer) == 1 else {})
    found = {}
    for full_name, item in ((entry.get("mappings") or {}).items()):
        mapping = (item or {}).get("mapping") or {}
        leaf = full_name.rsplit(".", 1)[-1]
        if isinstance(mapping.get(leaf), dict):
            found[full_name] = mapping[leaf]
    return found


def plan_index(index: dict, live: dict | None, defaults: dict[str, dict] | None = None) -> tuple[list[Request], list[str]]:
    """Requests that bring one declared index to its declaration (created when missing), and why they cannot."""
    name = index["name"]
    if live is None:
        body = {key: index[key] for key in ("settings", "mappings", "aliases") if index.get(key)}
        return [Request("PUT", f"/{_path(name)}", body, f"create index {name}")], []
    requests: list[Request] = []
    settings, errors = settings_changes(name, index.get("settings"), live.get("settings") or {})
    mapping, mapping_errors = mapping_changes(name, index.get("mappings"), live.get("mappings"), defaults)
    errors += mapping_errors
    if settings:
        requests.append(Request("PUT", f"/{_path(name)}/_settings", settings,
                                f"update settings of index {name}: {', '.join(sorted(settings))}"))
    if mapping:
        requests.append(Request("PUT", f"/{_path(name)}/_mapping", mapping,
                                f"update mapping of index {name}: {', '.join(sorted(mapping.get('properties') or mapping))}"))
    actions = alias_changes(name, index.get("aliases"), live.get("aliases"))
    if actions:
        requests.append(Request("POST", "/_aliases", {"actions": actions},
                                f"set aliases of index {name}: {', '.join(a['add']['alias'] for a in actions)}"))
    return requests, errors


# -- security -------------------------------------------------------------------------------------------
def role_body(role: dict) -> dict:
    """A declared role as the body of PUT _security/role."""
    indices = []
    for entry in role.get("indices") or []:
        item = {"names": list(entry["names"]), "privileges": list(entry["privileges"])}
        if entry.get("allow_restricted_indices"):
            item["allow_restricted_indices"] = True
        indices.append(item)
    return {"cluster": list(role.get("cluster") or []), "indices": indices, "run_as": list(role.get("run_as") or [])}


def canonical_role(body: dict) -> dict:
    indices = []
    for entry in body.get("indices") or []:
        item = {"names": sorted(entry.get("names") or []), "privileges": sorted(entry.get("privileges") or []),
                "allow_restricted_indices": bool(entry.get("allow_restricted_indices", False))}
        for key in ("field_security", "query"):
            if entry.get(key):
                item[key] = canonical(entry[key])
        indices.append(item)
    return {"cluster": sorted(body.get("cluster") or []),
            "indices": sorted(indices, key=lambda i: json.dumps(i, sort_keys=True)),
            "run_as": sorted(body.get("run_as") or []),
            "applications": canonical(body.get("applications") or []),
            "remote_indices": canonical(body.get("remote_indices") or [])}


def plan_role(role: dict, live: dict | None) -> Request | None:
    body = role_body(role)
    if live is not None and canonical_role(body) == canonical_role(live):
        return None
    verb = "create" if live is None else "update"
    return Request("PUT", f"/_security/role/{_path(role['name'])}", body, f"{verb} role {role['name']}")


def _user_profile(user: dict) -> dict:
    return {"roles": sorted(user.get("roles") or []), "full_name": user.get("full_name") or None,
            "email": user.get("email") or None, "enabled": bool(user.get("enabled", True))}


def plan_user(user: dict, live: dict | None, password_works: bool) -> list[Request]:
    """Create a missing user; update roles, name and e-mail that differ; set the password when it fails."""
    name = user["name"]
    path = f"/_security/user/{_path(name)}"
    profile = {k: v for k, v in _user_profile(user).items() if v is not None}
    if live is None:
        return [Request("PUT", path, {**profile, "password": user["password"]}, f"create user {name}")]
    requests = []
    if _user_profile(user) != _user_profile(live):
        requests.append(Request("PUT", path, profile, f"update user {name} (roles, full name, e-mail, enabled)"))
    if not password_works:
        requests.append(Request("POST", f"{path}/_password", {"password": user["password"]}, f"set the password of user {name}"))
    return requests


# -- snapshot repository -----------------------------------------------------------------------------------
def repository_body(repository: dict) -> dict:
    return {"type": "fs", "settings": {"location": repository["location"],
                                       "compress": bool(repository.get("compress", True))}}


def plan_repository(repository: dict, live: dict | None) -> Request | None:
    body = repository_body(repository)
    if live is not None and canonical({"type": live.get("type"), "settings": live.get("settings") or {}}) == canonical(body):
        return None
    verb = "register" if live is None else "update"
    return Request("PUT", f"/_snapshot/{_path(repository['name'])}", body,
                   f"{verb} snapshot repository {repository['name']} at {repository['location']}",
                   before="repository_owner", extra={"location": repository["location"]})


# -- the whole plan ------------------------------------------------------------------------------------------
def plan(declared: dict, live: dict) -> list[Request]:
    """Every request that brings the live state to the declared one, in a safe order.

    DECLARED: ``repository`` (or None), ``templates``, ``indices``, ``roles``, ``users``.
    LIVE: ``repository`` (or None), ``templates`` (name -> index_template or None),
    ``indices`` (name -> :func:`live_index` or None), ``field_defaults`` (name -> :func:`field_defaults`),
    ``roles`` / ``users`` (name -> definition or None), ``passwords_work`` (user -> bool).
    Raises ElasticsearchStateError naming every incompatible change before anything is sent.
    """
    requests: list[Request] = []
    errors: list[str] = []
    if declared.get("repository"):
        request = plan_repository(declared["repository"], live.get("repository"))
        if request:
            requests.append(request)
    for template in declared.get("templates") or []:
        request = plan_template(template, (live.get("templates") or {}).get(template["name"]))
        if request:
            requests.append(request)
    for index in declared.get("indices") or []:
        index_requests, index_errors = plan_index(index, (live.get("indices") or {}).get(index["name"]),
                                                  (live.get("field_defaults") or {}).get(index["name"]))
        requests += index_requests
        errors += index_errors
    for role in declared.get("roles") or []:
        request = plan_role(role, (live.get("roles") or {}).get(role["name"]))
        if request:
            requests.append(request)
    for user in declared.get("users") or []:
        requests += plan_user(user, (live.get("users") or {}).get(user["name"]),
                              (live.get("passwords_work") or {}).get(user["name"], False))
    if errors:
        raise ElasticsearchStateError("refused, nothing was changed: " + "; ".join(errors))
    return requests


def _path(name: str) -> str:
    return quote(str(name), safe="")


def error_reason(body: Any) -> str:
    """Elasticsearch's error answer in one line (type and reason, with the root cause when it differs)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        causes = error.get("root_cause") or []
        if causes and isinstance(causes[0], dict) and causes[0].get("reason") not in (None, error.get("reason")):
            text += f" (root cause: {causes[0].get('type')}: {causes[0].get('reason')})"
        caused = error.get("caused_by")
        if isinstance(caused, dict) and caused.get("reason") and caused.get("reason") != error.get("reason"):
            text += f" (caused by: {caused.get('type')}: {caused.get('reason')})"
        return text
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return str(body)[:500]
