# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""What an existing Elasticsearch index accepts: its declared settings, mapping and aliases against the live ones
(appstack.platform.elasticsearch_provision).

Each comparison returns what to send (only what differs) and every reason the declaration cannot be
reached on the existing index (a field's type, a parameter or a static setting that cannot change).
Declared settings, mappings and aliases are a *subset* of the live ones: what the declaration does not
mention is not managed (a template's contribution, a setting made by hand).
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.appstack.platform.plugins.module_utils.elasticsearch_model import (
    alias_definition, canonical, canonical_aliases, index_settings, unwrap)

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


def is_static(setting: str) -> bool:
    """Whether an index setting is fixed at creation."""
    return any(setting == name or (name.endswith(".") and setting.startswith(name)) for name in STATIC_SETTINGS)


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
    declared = unwrap(declared)
    live = unwrap(live)
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
