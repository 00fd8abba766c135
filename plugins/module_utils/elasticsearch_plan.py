# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""What must change on an Elasticsearch node: the declaration against its live state, as REST requests
(appstack.platform.elasticsearch_provision).

The module reads the live state over HTTP (snapshot repository, index templates, indices with their
settings, mappings - with every field's defaults - and aliases, roles, users), hands it to :func:`plan`
with the declaration, and sends only the requests :func:`plan` returns. Every incompatible change
(elasticsearch_index_changes) is found here, before any request is sent, and named in the error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from ansible_collections.appstack.platform.plugins.module_utils.elasticsearch_index_changes import (
    alias_changes, mapping_changes, settings_changes)
from ansible_collections.appstack.platform.plugins.module_utils.elasticsearch_model import (
    canonical, canonical_role, canonical_template)


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


def plan_template(template: dict, live: dict | None) -> Request | None:
    """PUT the template unless the live one is the same."""
    return _put_unless_same(f"/_index_template/{name_in_path(template['name'])}", template_body(template), live,
                            canonical_template, ("create", "update"), f"index template {template['name']}")


def plan_index(index: dict, live: dict | None, defaults: dict[str, dict] | None = None) -> tuple[list[Request], list[str]]:
    """Requests that bring one declared index to its declaration (created when missing), and why they cannot."""
    name = index["name"]
    if live is None:
        body = {key: index[key] for key in ("settings", "mappings", "aliases") if index.get(key)}
        return [Request("PUT", f"/{name_in_path(name)}", body, f"create index {name}")], []
    requests: list[Request] = []
    settings, errors = settings_changes(name, index.get("settings"), live.get("settings") or {})
    mapping, mapping_errors = mapping_changes(name, index.get("mappings"), live.get("mappings"), defaults)
    errors += mapping_errors
    if settings:
        requests.append(Request("PUT", f"/{name_in_path(name)}/_settings", settings,
                                f"update settings of index {name}: {', '.join(sorted(settings))}"))
    if mapping:
        requests.append(Request("PUT", f"/{name_in_path(name)}/_mapping", mapping,
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


def plan_role(role: dict, live: dict | None) -> Request | None:
    """PUT the role unless the live one is the same."""
    return _put_unless_same(f"/_security/role/{name_in_path(role['name'])}", role_body(role), live, canonical_role,
                            ("create", "update"), f"role {role['name']}")


def _user_profile(user: dict) -> dict:
    """What of a user (declared or live) is compared besides its password."""
    return {"roles": sorted(user.get("roles") or []), "full_name": user.get("full_name") or None,
            "email": user.get("email") or None, "enabled": bool(user.get("enabled", True))}


def plan_user(user: dict, live: dict | None, password_works: bool) -> list[Request]:
    """Create a missing user; update roles, name and e-mail that differ; set the password when it fails."""
    name = user["name"]
    path = f"/_security/user/{name_in_path(name)}"
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
    """A declared snapshot repository as the body of PUT _snapshot (a shared file system location)."""
    return {"type": "fs", "settings": {"location": repository["location"],
                                       "compress": bool(repository.get("compress", True))}}


def plan_repository(repository: dict, live: dict | None) -> Request | None:
    """Register the repository (its volume given to the container's user first) unless the live one is the same."""
    return _put_unless_same(f"/_snapshot/{name_in_path(repository['name'])}", repository_body(repository), live,
                            lambda body: canonical({"type": body.get("type"), "settings": body.get("settings") or {}}),
                            ("register", "update"), f"snapshot repository {repository['name']} at {repository['location']}",
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


def _put_unless_same(path: str, body: dict, live: dict | None, normal: Callable[[dict], Any], verbs: tuple[str, str],
                     thing: str, **extra: Any) -> Request | None:
    """PUT BODY at PATH unless LIVE is the same in NORMAL form; described as VERBS[0] (new) or VERBS[1] THING."""
    if live is not None and normal(body) == normal(live):
        return None
    return Request("PUT", path, body, f"{verbs[0] if live is None else verbs[1]} {thing}", **extra)


def name_in_path(name: str) -> str:
    """NAME quoted for a URL path segment."""
    return quote(str(name), safe="")
