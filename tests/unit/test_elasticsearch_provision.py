"""appstack.platform.elasticsearch_provision's comparison: Elasticsearch's answers against the declaration."""

from __future__ import annotations

import pytest

from ansible_collections.appstack.platform.plugins.module_utils import elasticsearch_index_changes as index_changes
from ansible_collections.appstack.platform.plugins.module_utils import elasticsearch_model as model
from ansible_collections.appstack.platform.plugins.module_utils import elasticsearch_plan as es

PRODUCTS_MAPPING = {"properties": {
    "name": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
    "category": {"type": "keyword"},
    "price": {"type": "double"},
    "stock": {"properties": {"warehouse": {"type": "keyword"}}},
}}
TEMPLATE = {"name": "products", "index_patterns": ["products-*"], "priority": 200,
            "settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": PRODUCTS_MAPPING,
            "aliases": {"products-all": {}}}
# GET _index_template/products prints the template like this (settings nested, numbers as strings).
LIVE_TEMPLATE = {"index_patterns": ["products-*"], "priority": 200, "composed_of": [],
                 "template": {"settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0"}},
                              "mappings": PRODUCTS_MAPPING, "aliases": {"products-all": {}}}}
# Defaults GET /<index>/_mapping/field/*?include_defaults=true prints (a part).
DEFAULTS = {"name": {"type": "text", "index": True, "store": False, "analyzer": "default"},
            "name.raw": {"type": "keyword", "ignore_above": 256, "index": True, "doc_values": True},
            "category": {"type": "keyword", "ignore_above": 2147483647, "index": True, "doc_values": True},
            "price": {"type": "double", "coerce": True, "index": True, "doc_values": True},
            "stock.warehouse": {"type": "keyword", "index": True}}
LIVE_INDEX = {"settings": {"index.number_of_shards": "1", "index.number_of_replicas": "0",
                           "index.refresh_interval": "1s"},
              "mappings": PRODUCTS_MAPPING, "aliases": {"products": {"is_write_index": True}}}


def _index(**changes) -> dict:
    return {"name": "products-v1", "settings": {"number_of_replicas": 0}, "mappings": PRODUCTS_MAPPING,
            "aliases": {"products": {"is_write_index": True}}, **changes}


def test_settings_flatten_and_print_like_elasticsearch():
    assert model.index_settings({"number_of_shards": 1, "index": {"refresh_interval": "30s"},
                              "index.blocks.write": False}) == {
        "index.number_of_shards": "1", "index.refresh_interval": "30s", "index.blocks.write": "false"}


def test_a_template_as_stored_needs_nothing_and_a_changed_one_is_replaced():
    assert es.plan_template(TEMPLATE, LIVE_TEMPLATE) is None
    changed = es.plan_template({**TEMPLATE, "priority": 300}, LIVE_TEMPLATE)
    assert changed.method == "PUT" and changed.path == "/_index_template/products"
    assert changed.body["priority"] == 300 and changed.body["template"]["mappings"] == PRODUCTS_MAPPING
    created = es.plan_template(TEMPLATE, None)
    assert created.what == "create index template products"


def test_a_missing_index_is_created_with_its_settings_mappings_and_aliases():
    requests, errors = es.plan_index(_index(), None)
    assert errors == []
    assert [(r.method, r.path) for r in requests] == [("PUT", "/products-v1")]
    assert set(requests[0].body) == {"settings", "mappings", "aliases"}


def test_an_index_as_declared_needs_nothing():
    assert es.plan_index(_index(), LIVE_INDEX, DEFAULTS) == ([], [])


def test_a_declared_default_the_live_mapping_does_not_print_is_no_change():
    mapping = {"properties": {"price": {"type": "double", "index": True, "coerce": True}}}
    assert index_changes.mapping_changes("products-v1", mapping, PRODUCTS_MAPPING, DEFAULTS) == (None, [])


def test_a_type_change_is_refused_naming_index_field_and_both_types():
    mapping = {"properties": {"price": {"type": "keyword"}, "name": {"type": "text", "fields": {"raw": {"type": "text"}}}}}
    body, errors = index_changes.mapping_changes("products-v1", mapping, PRODUCTS_MAPPING, DEFAULTS)
    assert body is None
    assert errors[0].startswith("products-v1: field price is double on the live index and declared keyword")
    assert "field name.raw is keyword on the live index and declared text" in errors[1]


def test_an_object_becoming_a_keyword_is_a_type_change():
    _body, errors = index_changes.mapping_changes("i", {"properties": {"stock": {"type": "keyword"}}}, PRODUCTS_MAPPING, DEFAULTS)
    assert errors == [index_changes._type_error("i", "stock", {"properties": {}}, {"type": "keyword"})]
    assert "stock is object on the live index and declared keyword" in errors[0]


def test_new_fields_and_updatable_parameters_become_one_mapping_update():
    mapping = {"properties": {
        "brand": {"type": "keyword"},
        "name": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512},
                                           "en": {"type": "text", "analyzer": "standard"}}},
        "stock": {"properties": {"count": {"type": "integer"}}},
    }}
    body, errors = index_changes.mapping_changes("products-v1", mapping, PRODUCTS_MAPPING, DEFAULTS)
    assert errors == []
    assert body["properties"]["brand"] == {"type": "keyword"}
    # The existing field is sent whole, so parameters the declaration leaves out keep their live value.
    assert body["properties"]["name"] == {"type": "text", "fields": {
        "raw": {"type": "keyword", "ignore_above": 512}, "en": {"type": "text", "analyzer": "standard"}}}
    assert body["properties"]["stock"] == {"properties": {"count": {"type": "integer"}}}
    assert "category" not in body["properties"] and "price" not in body["properties"]


def test_a_parameter_that_cannot_change_is_refused():
    mapping = {"properties": {"category": {"type": "keyword", "index": False}, "price": {"type": "double", "store": True}}}
    body, errors = index_changes.mapping_changes("products-v1", mapping, PRODUCTS_MAPPING, DEFAULTS)
    assert body is None
    assert errors == [
        'products-v1: field category: index cannot change on an existing index (live "true", declared "false")',
        'products-v1: field price: store cannot change on an existing index (live not set, declared "true")']


def test_top_level_mapping_parameters():
    body, errors = index_changes.mapping_changes("i", {"dynamic": "strict", "_source": {"enabled": True}}, PRODUCTS_MAPPING, {})
    assert body == {"dynamic": "strict"} and errors == []
    _body, errors = index_changes.mapping_changes("i", {"_source": {"enabled": False}}, PRODUCTS_MAPPING, {})
    assert errors == ['i: mapping _source cannot change on an existing index (live {"enabled": "true"}, '
                      'declared {"enabled": "false"})']


def test_dynamic_settings_are_updated_and_static_ones_refused():
    live = {"index.number_of_shards": "1", "index.number_of_replicas": "1", "index.refresh_interval": "1s"}
    changes, errors = index_changes.settings_changes("i", {"number_of_replicas": 0, "refresh_interval": "1s"}, live)
    assert changes == {"index.number_of_replicas": "0"} and errors == []
    changes, errors = index_changes.settings_changes("i", {"number_of_shards": 3, "analysis": {"analyzer": {"x": {"type": "standard"}}}}, live)
    assert changes == {}
    assert errors[0].startswith('i: setting index.number_of_shards is fixed when an index is created (live "1", declared "3")')
    assert errors[1].startswith("i: setting index.analysis.analyzer.x.type is fixed")


def test_aliases_missing_or_different_are_added_others_left_alone():
    live = {"products": {}, "by-hand": {}}
    actions = index_changes.alias_changes("products-v1", {"products": {"is_write_index": True}, "shop": {"routing": "1"}}, live)
    assert actions == [{"add": {"index": "products-v1", "alias": "products", "is_write_index": True}},
                       {"add": {"index": "products-v1", "alias": "shop", "index_routing": "1", "search_routing": "1"}}]
    assert index_changes.alias_changes("products-v1", {"products": {"is_write_index": True}}, {"products": {"is_write_index": True}}) == []


def test_live_index_and_field_defaults_read_the_answers():
    answer = {"products-v1": {"aliases": {"products": {}}, "mappings": PRODUCTS_MAPPING,
                              "settings": {"index.number_of_shards": "1"},
                              "defaults": {"index.refresh_interval": "1s", "index.number_of_shards": "5"}}}
    live = model.live_index(answer, "products-v1")
    assert live["settings"] == {"index.number_of_shards": "1", "index.refresh_interval": "1s"}
    fields = {"products-v1": {"mappings": {
        "name.raw": {"full_name": "name.raw", "mapping": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "_id": {"full_name": "_id", "mapping": {"_id": {}}}}}}
    assert model.field_defaults(fields, "products-v1") == {"name.raw": {"type": "keyword", "ignore_above": 256}, "_id": {}}


def test_roles_compare_as_sets_and_differences_replace_the_role():
    role = {"name": "shop", "cluster": ["monitor"], "indices": [{"names": ["products*", "orders"], "privileges": ["write", "read"]}]}
    live = {"cluster": ["monitor"], "indices": [{"names": ["orders", "products*"], "privileges": ["read", "write"],
                                                 "allow_restricted_indices": False}],
            "applications": [], "run_as": [], "metadata": {}, "transient_metadata": {"enabled": True}}
    assert es.plan_role(role, live) is None
    changed = es.plan_role({**role, "cluster": []}, live)
    assert changed.path == "/_security/role/shop" and changed.body["cluster"] == []
    assert es.plan_role(role, {**live, "applications": [{"application": "x", "privileges": ["*"], "resources": ["*"]}]})


def test_users_are_created_updated_and_get_their_password_back():
    user = {"name": "shop", "password": "shop-secret-1", "roles": ["shop"], "full_name": None, "email": None}
    created = es.plan_user(user, None, False)
    assert [(r.method, r.path) for r in created] == [("PUT", "/_security/user/shop")]
    assert created[0].body == {"roles": ["shop"], "enabled": True, "password": "shop-secret-1"}
    live = {"username": "shop", "roles": ["shop"], "full_name": None, "email": None, "metadata": {}, "enabled": True}
    assert es.plan_user(user, live, True) == []
    fixed = es.plan_user({**user, "roles": ["shop", "viewer"]}, live, False)
    assert [(r.method, r.path) for r in fixed] == [("PUT", "/_security/user/shop"), ("POST", "/_security/user/shop/_password")]
    assert "password" not in fixed[0].body
    assert all("shop-secret-1" not in r.what for r in created + fixed)


def test_repository_registered_once_and_its_owner_fixed_first():
    repo = {"name": "appstack", "location": "/usr/share/elasticsearch/snapshots", "compress": True}
    request = es.plan_repository(repo, None)
    assert request.before == "repository_owner" and request.body == {
        "type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots", "compress": True}}
    live = {"type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots", "compress": "true"}}
    assert es.plan_repository(repo, live) is None


def test_plan_refuses_every_incompatible_change_before_any_request():
    declared = {"repository": None, "templates": [TEMPLATE],
                "indices": [_index(settings={"number_of_shards": 2}, mappings={"properties": {"price": {"type": "keyword"}}}),
                            {"name": "new-index"}],
                "roles": [], "users": []}
    live = {"templates": {"products": None}, "indices": {"products-v1": LIVE_INDEX, "new-index": None},
            "field_defaults": {"products-v1": DEFAULTS}}
    with pytest.raises(es.ElasticsearchStateError) as refused:
        es.plan(declared, live)
    text = str(refused.value)
    assert text.startswith("refused, nothing was changed: ")
    assert "index.number_of_shards is fixed" in text and "field price is double on the live index and declared keyword" in text


def test_plan_orders_repository_templates_indices_roles_users():
    declared = {"repository": {"name": "r", "location": "/s"}, "templates": [TEMPLATE], "indices": [_index()],
                "roles": [{"name": "shop", "indices": [{"names": ["products*"], "privileges": ["read"]}]}],
                "users": [{"name": "shop", "password": "shop-secret-1", "roles": ["shop"]}]}
    requests = es.plan(declared, {})
    assert [r.what.split(" ")[0] + " " + r.path.split("/")[1] for r in requests] == [
        "register _snapshot", "create _index_template", "create products-v1", "create _security", "create _security"]
    assert requests[-1].path == "/_security/user/shop"


def test_error_reason_names_type_reason_and_cause():
    body = {"error": {"root_cause": [{"type": "illegal_argument_exception", "reason": "mapper [price] cannot be changed"}],
                      "type": "illegal_argument_exception", "reason": "mapper [price] cannot be changed"}, "status": 400}
    assert model.error_reason(body) == "illegal_argument_exception: mapper [price] cannot be changed"
    assert model.error_reason("plain") == "plain"
