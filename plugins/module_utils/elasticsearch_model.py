# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Elasticsearch's answers read into data, and the normal forms both sides compare in
(appstack.platform.elasticsearch_provision).

Elasticsearch prints settings flat or nested and every scalar as a string, wraps some mappings in a
legacy type name and splits an alias's routing in two: the normal forms here make a declared value and
the live one compare equal when they mean the same. :func:`live_index` and :func:`field_defaults` read
the answers of the index reads; :func:`error_reason` puts an error answer in one line.
"""

from __future__ import annotations

import json
from typing import Any


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


def alias_definition(alias: dict | None) -> dict:
    """A declared alias in the form Elasticsearch prints (``routing`` split into index and search routing)."""
    alias = dict(alias or {})
    routing = alias.pop("routing", None)
    if routing is not None:
        alias.setdefault("index_routing", routing)
        alias.setdefault("search_routing", routing)
    return {k: v for k, v in alias.items() if v is not None and v is not False}


def canonical_aliases(aliases: dict | None) -> dict:
    """Aliases (name -> definition) in comparable form."""
    return {name: canonical(alias_definition(value)) for name, value in (aliases or {}).items()}


def unwrap(mapping: dict | None) -> dict:
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
    return walk(unwrap(mapping))


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


def canonical_role(body: dict) -> dict:
    """A role body (declared, or as GET _security/role prints it) in comparable form."""
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
