"""A role used alone refuses bad input before any container, volume or file changes, naming the variable.

Each case is a real ansible-playbook run of one role; the refusal must come from the role's own
checks (no argument spec dump) and leave no trace of the project on the Docker host.
"""

import shutil

import pytest
from conftest import ROOT, project_resources, run_playbook, unique_project

PROD = {"appstack_env": "prod", "appstack_publish_ports": False}
STRONG = "x9-very-long-prod-secret"

CASES = {
    "port_out_of_range": ("postgres", {"postgres_host_port": 70000}, ["postgres_host_port", "1 and 65535"]),
    "port_not_a_number": ("redis", {"redis_host_port": "six"}, ["redis_host_port", "int"]),
    "port_zero": ("redis", {"redis_host_port": 0}, ["redis_host_port", "1 and 65535"]),
    "memory_unparseable": ("postgres", {"postgres_memory": "lots"}, ["postgres_memory", "size"]),
    "buffers_unparseable": ("postgres", {"postgres_shared_buffers": "12 parsecs"}, ["postgres_shared_buffers", "size"]),
    "unknown_environment": ("postgres", {"postgres_environment": "staging"}, ["postgres_environment", "dev, prod"]),
    "unknown_privilege_level": (
        "postgres",
        {"postgres_databases": [{"name": "app"}],
         "postgres_users": [{"name": "app", "password": "pw", "privileges": [{"database": "app", "level": "god"}]}]},
        ["level", "connect, readonly, readwrite, all"]),
    "user_without_password": ("postgres", {"postgres_users": [{"name": "app"}]}, ["password", "required"]),
    "bad_database_name": ("postgres", {"postgres_databases": [{"name": "Bad-Name"}]},
                          ["postgres_databases: every name must be a lower-case SQL identifier", "'Bad-Name'"]),
    "wrong_type_list": ("postgres", {"postgres_databases": "app"}, ["option 'postgres_databases' is of type str", "dict"]),
    "unknown_eviction_policy": ("redis", {"redis_maxmemory_policy": "random"}, ["redis_maxmemory_policy", "allkeys-lru"]),
    "maxmemory_above_limit": ("redis", {"redis_memory": "256m", "redis_maxmemory": "1g"}, ["redis_maxmemory: must stay below redis_memory"]),
    "save_rule_garbage": ("redis", {"redis_save": ["often"]}, ["redis_save", "<seconds> <changes>"]),
    "prod_dev_default_postgres_password": ("postgres", {**PROD}, ["postgres_superuser_password", "dev default"]),
    "prod_empty_postgres_password": ("postgres", {**PROD, "postgres_superuser_password": ""}, ["postgres_superuser_password", "vault"]),
    "prod_dev_default_redis_password": ("redis", {**PROD}, ["redis_password", "dev default"]),
    "prod_published_database": (
        "postgres", {**PROD, "postgres_superuser_password": STRONG, "postgres_publish": True}, ["postgres_publish", "prod"]),
    "prod_short_user_password": (
        "postgres",
        {**PROD, "postgres_superuser_password": STRONG, "postgres_users": [{"name": "app", "password": "short"}]},
        ["postgres_users", "12 characters"]),
    "tls_without_certificate": ("postgres", {"postgres_tls_enabled": True}, ["postgres_tls_cert: ", "PEM"]),
    "factory_cannot_build_tag": ("redis", {"redis_image_tag": "7.2"},
                                 ["redis_image_tag: '7.2' cannot come from the image factory", "builds redis 8.0"]),
    "publish_address_is_a_host_name": ("redis", {"appstack_publish_address": "db.example.internal"},
                                       ["appstack_publish_address: 'db.example.internal' must be an IPv4 or IPv6 address"]),
    "several_errors_at_once": ("postgres", {"postgres_memory": "lots", "postgres_max_connections": 0, "postgres_environment": "staging"},
                               ["postgres_memory: 'lots'", "postgres_max_connections: 0", "postgres_environment must be one of"]),
    "unknown_service_named": ("stack", {"appstack_services": ["postgres", "mysql"]},
                              ["appstack_services: 'mysql' is not a service of this collection; known: "]),
    "route_to_a_service_not_in_the_stack": (
        "nginx", {"appstack_services": ["postgres", "nginx"], "nginx_upstreams": {"minio": {"servers": ["minio:9000"]}},
                  "nginx_routes": [{"path": "/files/", "upstream": "minio"}]},
        ["nginx_routes: a route goes to minio, which is not in appstack_services"]),
    "route_to_an_unknown_upstream": (
        "nginx", {"nginx_routes": [{"path": "/api/", "upstream": "backend"}]},
        ["nginx_routes: backend is no upstream; known: none (nginx_upstreams is empty and no app runs)"]),
    "route_path_not_a_prefix": (
        "nginx", {"nginx_upstreams": {"app": {"servers": ["app:8000"]}}, "nginx_routes": [{"path": "api", "upstream": "app"}]},
        ["nginx_routes: every path must be a path prefix such as /api/", "'api'"]),
    "route_timeout_not_a_duration": (
        "nginx", {"nginx_upstreams": {"app": {"servers": ["app:8000"]}},
                  "nginx_routes": [{"path": "/ws/", "upstream": "app", "timeout": "forever"}]},
        ["nginx_routes: every timeout must be an nginx duration such as 30s", "'forever'"]),
    "upstream_server_without_port": (
        "nginx", {"nginx_upstreams": {"app": {"servers": ["app"]}}, "nginx_routes": [{"path": "/api/", "upstream": "app"}]},
        ["nginx_upstreams: every server is host:port - a name on the project network (app:8000)", "got app"]),
    "rate_limit_not_a_rate": (
        "nginx", {"nginx_upstreams": {"app": {"servers": ["app:8000"]}},
                  "nginx_routes": [{"path": "/api/", "upstream": "app", "rate_limit": {"rate": "fast"}}]},
        ["nginx_routes: every rate_limit.rate is requests per second or minute", "got fast"]),
    "header_name_with_a_space": ("nginx", {"nginx_headers": {"X Frame": "1"}},
                                 ["nginx_headers: every key must be a header name (letters, digits and '-'); got 'X Frame'"]),
    "header_value_with_a_quote": ("nginx", {"nginx_content_security_policy": 'default-src "self"'},
                                  ["nginx_headers: header values (and nginx_content_security_policy) may not hold quotes"]),
    "prod_tls_without_certificate": ("nginx", {**PROD, "nginx_tls_enabled": True},
                                     ["nginx_tls_cert: prod with TLS needs nginx_tls_cert and nginx_tls_key from vault"]),
    "prod_without_tls": ("nginx", {**PROD}, ["nginx_tls_enabled: prod serves HTTPS only"]),
    "body_size_not_a_size": ("nginx", {"nginx_client_max_body_size": "10 megabytes"},
                             ["nginx_client_max_body_size: '10 megabytes' must be a size such as 512k or 50m"]),
    "bucket_name_not_dns_compatible": ("minio", {"minio_buckets": [{"name": "Game_Logs"}]},
                                       ["minio_buckets: every name must be a DNS-compatible bucket name", "'Game_Logs'"]),
    "unknown_policy": ("minio", {"minio_users": [{"name": "app", "secret_key": "app-secret-one", "policies": ["superuser"]}]},
                       ["minio_users: unknown policies superuser; use a canned policy"]),
    "lifecycle_days_not_positive": ("minio", {"minio_buckets": [{"name": "logs", "lifecycle": [{"id": "x", "expire_days": 0}]}]},
                                    ["minio_buckets: lifecycle days must be at least 1: logs expire_days=0"]),
    "prod_console_published": ("minio", {**PROD, "minio_root_password": STRONG, "minio_console_publish": True},
                               ["minio_console_publish: prod never publishes the MinIO console"]),
    "short_s3_secret": ("minio", {"minio_users": [{"name": "app", "secret_key": "short", "policies": ["readwrite"]}]},
                        ["minio_users: every secret_key must be at least 8 characters"]),
    "unknown_key_in_a_list_of_dicts": ("postgres", {"postgres_users": [{"name": "app", "pasword": "app-secret-1"}]},
                                       ["postgres_users[0]: unknown key 'pasword' (known: attributes, name, password, privileges)"]),
    "docker_pool_not_cidr": ("docker_host", {"docker_host_address_pools": [{"base": "nonsense", "size": 24}]},
                             ["docker_host_address_pools: every base must be a CIDR network"]),
}

# prometheus_grafana and the exporters of postgres and redis (files: the scenario's fixtures).
MONITORING_FILES = str(ROOT / "molecule/prometheus_grafana/files")
GRAFANA_FROM_REGISTRY = {"appstack_image_sources": {"grafana": "registry"}}
CASES.update({
    "monitoring_scrapes_an_unknown_service": (
        "prometheus_grafana", {"prometheus_grafana_scrape_services": ["postgres", "mysql"]},
        ["prometheus_grafana_scrape_services: mysql is not a service of this collection; known: "]),
    "monitoring_scrapes_a_service_outside_the_stack": (
        "prometheus_grafana", {"appstack_services": ["redis", "prometheus_grafana"], "prometheus_grafana_scrape_services": ["postgres"]},
        ["prometheus_grafana_scrape_services: postgres is not in appstack_services"]),
    "monitoring_retention_not_a_duration": (
        "prometheus_grafana", {"prometheus_grafana_retention_time": "two weeks"},
        ["prometheus_grafana_retention_time: 'two weeks' must be a Prometheus duration such as 15d"]),
    "monitoring_retention_size_not_a_size": (
        "prometheus_grafana", {"prometheus_grafana_retention_size": "10 gigs"},
        ["prometheus_grafana_retention_size: '10 gigs' must be a size such as 512MB or 10GB"]),
    "monitoring_rule_file_not_yaml": (
        "prometheus_grafana", {"prometheus_grafana_rule_files": [f"{MONITORING_FILES}/not-yaml.rules"]},
        [f"prometheus_grafana_rule_files: {MONITORING_FILES}/not-yaml.rules is not YAML (line "]),
    "monitoring_rule_file_missing": (
        "prometheus_grafana", {"prometheus_grafana_rule_files": [f"{MONITORING_FILES}/gone.rules.yml"]},
        [f"prometheus_grafana_rule_files: {MONITORING_FILES}/gone.rules.yml does not exist on the controller"]),
    "monitoring_dashboard_not_json": (
        "prometheus_grafana", {"prometheus_grafana_dashboards": [f"{MONITORING_FILES}/not-a-dashboard.json"]},
        [f"prometheus_grafana_dashboards: {MONITORING_FILES}/not-a-dashboard.json is not JSON"]),
    "monitoring_extra_target_without_port": (
        "prometheus_grafana", {"prometheus_grafana_extra_targets": [{"job": "node", "targets": ["node"]}]},
        ["prometheus_grafana_extra_targets: every target of node is host:port (for example app:8000); got 'node'"]),
    "monitoring_extra_target_takes_a_stack_job": (
        "prometheus_grafana", {"prometheus_grafana_extra_targets": [{"job": "prometheus", "targets": ["other:9090"]}]},
        ["prometheus_grafana_extra_targets: job prometheus is scraped already"]),
    "monitoring_route_prefix_not_a_path": (
        "prometheus_grafana", {"prometheus_grafana_route_prefix": "prometheus"},
        ["prometheus_grafana_route_prefix: 'prometheus' must be a path such as /prometheus/"]),
    "monitoring_grafana_password_short": (
        "prometheus_grafana", {**GRAFANA_FROM_REGISTRY, "prometheus_grafana_admin_password": "short"},
        ["prometheus_grafana_admin_password: must be at least 8 characters without spaces"]),
    "monitoring_prod_grafana_dev_password": (
        "prometheus_grafana", {**PROD, **GRAFANA_FROM_REGISTRY},
        ["prometheus_grafana_admin_password: prod needs a real secret of at least 16 characters from vault, not the dev default"]),
    "monitoring_prod_published_prometheus": (
        "prometheus_grafana", {**PROD, "prometheus_grafana_grafana_enabled": False, "prometheus_grafana_publish": True},
        ["prometheus_grafana_publish: prod publishes no port of this service on the host"]),
    "monitoring_grafana_forced_on_in_build_mode": (
        "prometheus_grafana", {"prometheus_grafana_grafana_enabled": True},
        ["prometheus_grafana_grafana_enabled: Grafana is on, but the image factory cannot build grafana here",
         "appstack_image_sources: {grafana: registry}", "docker save -o grafana-12.2.tar appstack/grafana:12.2"]),
    "monitoring_unknown_image_source": (
        "prometheus_grafana", {"appstack_image_sources": {"grafana": "download"}},
        ["appstack_image_sources: every source is one of build, archive, registry; got grafana: 'download'"]),
    "monitoring_postgres_exporter_user_taken": (
        "postgres", {"postgres_users": [{"name": "postgres_exporter", "password": "pw-one"}]},
        ["postgres_exporter_user: postgres_exporter is also the superuser or one of postgres_users"]),
    "monitoring_redis_exporter_user_default": (
        "redis", {"redis_exporter_user": "default"},
        ["redis_exporter_user: 'default' must be letters, digits or '_.-' (not 'default')"]),
})


# elasticsearch
ES_PRODUCTS = {"name": "products", "index_patterns": ["products-*"]}
CASES.update({
    "es_heap_above_the_memory_limit": (
        "elasticsearch", {"elasticsearch_memory": "1g", "elasticsearch_heap": "2g"},
        ["elasticsearch_heap: 2g is above three quarters of elasticsearch_memory (1g)"]),
    "es_security_off_in_prod": (
        "elasticsearch", {**PROD, "elasticsearch_password": STRONG, "elasticsearch_security_enabled": False},
        ["elasticsearch_security_enabled: prod runs Elasticsearch with security on"]),
    "es_index_name_with_upper_case": (
        "elasticsearch", {"elasticsearch_indices": [{"name": "Products-V1"}]},
        ["elasticsearch_indices: every name must be an index name", "'Products-V1'"]),
    "es_template_pattern_invalid": (
        "elasticsearch", {"elasticsearch_index_templates": [{**ES_PRODUCTS, "index_patterns": ["_products *"]}]},
        ["elasticsearch_index_templates: every index pattern must be lower-case letters", '"_products *"']),
    "es_user_role_undefined": (
        "elasticsearch", {"elasticsearch_users": [{"name": "shop", "password": "shop-secret-1", "roles": ["products_rw"]}]},
        ["elasticsearch_users: unknown role products_rw; define it in elasticsearch_roles"]),
    "es_unknown_index_privilege": (
        "elasticsearch", {"elasticsearch_roles": [{"name": "products_rw", "indices": [{"names": ["products*"], "privileges": ["reed"]}]}]},
        ["elasticsearch_roles: unknown index privilege reed"]),
    "es_field_type_missing_from_the_factory_image": (
        "elasticsearch", {"elasticsearch_index_templates": [
            {**ES_PRODUCTS, "mappings": {"properties": {"price": {"type": "scaled_float", "scaling_factor": 100}}}}]},
        ["elasticsearch_index_templates: field type scaled_float is not in the factory's integ-test distribution"]),
    "es_users_without_security": (
        "elasticsearch", {"elasticsearch_security_enabled": False,
                          "elasticsearch_users": [{"name": "shop", "password": "shop-secret-1", "roles": ["viewer"]}]},
        ["elasticsearch_users: users and roles (elasticsearch_users, elasticsearch_roles) need elasticsearch_security_enabled: true"]),
})


# kafka (a partition decrease against the live broker: molecule/kafka, the module refuses it before any change)
KAFKA_SASL = {"kafka_sasl_enabled": True, "kafka_topics": [{"name": "orders", "partitions": 3}]}
CASES.update({
    "kafka_replication_factor_above_the_brokers": (
        "kafka", {"kafka_topics": [{"name": "orders", "partitions": 3, "replication_factor": 3}]},
        ["kafka_topics: replication_factor must be between 1 and the number of brokers (1, this role runs one): orders=3"]),
    "kafka_unknown_topic_config": (
        "kafka", {"kafka_topics": [{"name": "orders", "configs": {"retention.msec": 1000}}]},
        ["kafka_topics: unknown topic config orders: retention.msec"]),
    "kafka_heap_above_the_memory_limit": (
        "kafka", {"kafka_memory": "1g", "kafka_heap": "2g"},
        ["kafka_heap: 2g must leave at least 256m of kafka_memory (1g)"]),
    "kafka_security_off_in_prod": (
        "kafka", {**PROD, "kafka_admin_password": STRONG, "kafka_sasl_enabled": False},
        ["kafka_sasl_enabled: prod needs SASL/SCRAM with ACLs on the client listeners"]),
    "kafka_bad_topic_name": (
        "kafka", {"kafka_topics": [{"name": "orders/eu"}]},
        ["kafka_topics: every name must be a Kafka topic name", "'orders/eu'"]),
    "kafka_no_partitions": (
        "kafka", {"kafka_topics": [{"name": "orders", "partitions": 0}]},
        ["kafka_topics: partitions must be at least 1: orders=0"]),
    "kafka_acl_on_an_undeclared_topic": (
        "kafka", {**KAFKA_SASL, "kafka_users": [{"name": "app", "password": "app-secret-1", "produce": ["order"]}]},
        ["kafka_users: produce/consume name topics that are not in kafka_topics: order"]),
    "kafka_user_named_like_the_admin": (
        "kafka", {**KAFKA_SASL, "kafka_users": [{"name": "admin", "password": "app-secret-1"}]},
        ["kafka_users: admin is the admin super user (kafka_admin_user)"]),
    "kafka_users_without_sasl": (
        "kafka", {"kafka_users": [{"name": "app", "password": "app-secret-1"}]},
        ["kafka_users: users and ACLs need kafka_sasl_enabled: true"]),
    "kafka_min_insync_above_the_replication_factor": (
        "kafka", {"kafka_topics": [{"name": "orders", "configs": {"min.insync.replicas": 2}}]},
        ["kafka_topics: min.insync.replicas must be between 1 and the topic's replication_factor", "orders"]),
    "kafka_topic_kept_and_deleted": (
        "kafka", {"kafka_topics": [{"name": "orders"}], "kafka_topics_absent": ["orders"]},
        ["kafka_topics_absent: orders is also in kafka_topics"]),
})


# app (wired to postgres and minio as the dev stack declares them)
APP_STACK = {"appstack_services": ["postgres", "minio", "app"],
             "postgres_users": [{"name": "app", "password": "app-secret-1"}], "postgres_databases": [{"name": "app", "owner": "app"}],
             "minio_users": [{"name": "app", "secret_key": "app-secret-1", "policies": ["readwrite"]}],
             "minio_buckets": [{"name": "user-uploads"}]}
APP_HEALTH = {"test": ["CMD", "demo-app", "health"]}


def app_component(*processes: dict, **extra: object) -> dict:
    """A component of the demo app's image with the given processes."""
    return {"name": "app", "image": "demo-app", "uid": 10001, "healthcheck": APP_HEALTH, "processes": list(processes), **extra}


WEB = {"name": "web", "command": ["web"], "replicas": 2, "port": 8000}
CASES.update({
    "app_process_without_a_command": (
        "app", {**APP_STACK, "app_components": [app_component({"name": "web", "port": 8000})]},
        ["app_components: every process needs a command (a list); missing in web"]),
    "app_web_without_replicas": (
        "app", {**APP_STACK, "app_components": [app_component({**WEB, "replicas": 0})]},
        ["app_components: a web process (one with a port) needs replicas of at least 1"]),
    "app_env_collides_with_the_wiring": (
        "app", {**APP_STACK, "app_env": {"DATABASE_URL": "postgresql://elsewhere/app"}},
        ["app_env: DATABASE_URL is wired from the stack's services already"]),
    "app_build_context_missing": (
        "app", {**APP_STACK, "app_components": [app_component(WEB, image="team/api", build={"context": "/nonexistent/api"})]},
        ["app_components: build context /nonexistent/api does not exist"]),
    "app_component_name_upper_case": (
        "app", {**APP_STACK, "app_components": [{**app_component(WEB), "name": "Backend"}]},
        ["app_components: every name must be lower-case letters, digits and '-'", "'Backend'"]),
    "app_port_and_ports_together": (
        "app", {**APP_STACK, "app_components": [app_component({**WEB, "ports": {"http": 8000, "ws": 8001}})]},
        ["app_components[0].processes[0]: give port or ports, not both"]),
    "app_metrics_port_not_declared": (
        "app", {**APP_STACK, "app_components": [app_component({**WEB, "port": None, "ports": {"http": 8000}, "metrics_port": "admin"})]},
        ["app_components[0].processes[0].metrics_port: 'admin' is neither a port number nor one of its ports (http)"]),
    "app_volume_outside_what_the_image_allows": (
        "app", {**APP_STACK, "app_components": [app_component(WEB, volumes=[{"name": "media", "path": "/etc/media", "writer": "web"}])]},
        ["app_components[0].volumes[0].path: '/etc/media' is not allowed"]),
    "app_two_processes_writing_one_volume": (
        "app", {**APP_STACK, "app_components": [app_component(
            {**WEB, "volumes": [{"name": "media", "path": "/srv/media"}]},
            {"name": "worker", "command": ["worker"], "volumes": [{"name": "media", "path": "/srv/media"}]})]},
        ["app_components[0].processes[1].volumes: media is written by process web already"]),
    "nginx_route_to_an_unknown_port": (
        "nginx", {**APP_STACK, "appstack_services": ["postgres", "minio", "app", "nginx"],
                  "nginx_routes": [{"path": "/ws/", "upstream": "app.web.ws", "websocket": True}]},
        ["nginx_routes: app.web.ws is no upstream; known: app, app.web, app.web.http"]),
    "nginx_route_to_an_unknown_process": (
        "nginx", {**APP_STACK, "appstack_services": ["postgres", "minio", "app", "nginx"],
                  "nginx_routes": [{"path": "/flower/", "upstream": "app.flower"}]},
        ["nginx_routes: app.flower is no upstream"]),
    "app_port_out_of_range": (
        "app", {**APP_STACK, "app_components": [app_component({**WEB, "port": 80000})]},
        ["app_components: a web process's port is between 1 and 65535"]),
    "app_database_user_not_declared": (
        "app", {**APP_STACK, "app_postgres_user": "shop"},
        ["app_postgres_user: shop is not one of postgres_users (app)"]),
    "app_bucket_not_declared": (
        "app", {**APP_STACK, "app_minio_bucket": "uploads"},
        ["app_minio_bucket: uploads is not one of minio_buckets"]),
    "app_components_named_twice": (
        "app", {**APP_STACK, "app_components": [app_component(WEB), app_component(WEB)]},
        ["app_components: component names must be unique"]),
    "app_env_name_with_a_dash": (
        "app", {**APP_STACK, "app_env": {"FEATURE-FLAG": "on"}},
        ["app_env: every key must be an environment variable name (letters, digits, '_'); got 'FEATURE-FLAG'"]),
    "app_process_without_a_health_check": (
        "app", {**APP_STACK, "app_components": [{"name": "app", "image": "demo-app", "processes": [WEB]}]},
        ["app_components: every process needs a healthcheck"]),
    "app_unknown_key_in_a_process": (
        "app", {**APP_STACK, "app_components": [app_component(WEB, {"name": "worker", "command": ["worker"], "prots": {"http": 8001}})]},
        ["app_components[0].processes[1]: unknown key 'prots' (known: "]),
    "app_negative_drain": (
        "app", {**APP_STACK, "app_drain_seconds": -1}, ["app_drain_seconds: -1"]),
})

@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI to check nothing was created")
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_anything_changes(case, tmp_path):
    role, variables, expected = CASES[case]
    project = unique_project("badinput")
    result = run_playbook("tests/integration/playbooks/apply_role.yml",
                          {"role_under_test": role, "appstack_project": project, **variables}, tmp_path, timeout=300)
    output = result.stdout
    assert result.returncode != 0, output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in the error:\n{output[-3000:]}"
    assert "nothing was changed" in output, "the role's own checks must refuse it, before Ansible's spec validation"
    assert "argument_spec_data" not in output, "the argument spec must not be dumped"
    assert "Supported parameters" not in output, "an unknown key is named with its path by the role's own checks"
    assert project_resources(project) == []
    assert STRONG not in output


def test_the_shared_path_refuses_to_run_without_a_calling_role(tmp_path):
    project = unique_project("alone")
    result = run_playbook("tests/integration/playbooks/apply_role.yml",
                          {"role_under_test": "service", "appstack_project": project}, tmp_path, timeout=300)
    assert result.returncode != 0
    assert "appstack.platform.service is the shared path of the service roles and runs only from one of them" in result.stdout
    assert project_resources(project) == []


def test_the_image_factory_refuses_fewer_than_one_build_at_a_time(tmp_path):
    """Builds side by side below 1 is refused by name before any recipe is copied or image built."""
    work = tmp_path / "factory"
    result = run_playbook("playbooks/images.yml",
                          {"image_factory_parallel_builds": 0, "image_factory_build_dir": str(work)}, tmp_path, timeout=300)
    assert result.returncode != 0
    assert "image_factory_parallel_builds: 0 must be at least 1" in result.stdout, result.stdout[-3000:]
    assert not work.exists()


def test_archive_mode_reads_the_stack_wide_archive_directory(tmp_path):
    """appstack_image_archive_dir is where archive mode looks: a missing archive is named there, nothing loaded."""
    archives = tmp_path / "archives"
    play = tmp_path / "load.yml"
    play.write_text(
        "- hosts: docker_hosts\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: appstack.platform.image_factory\n        tasks_from: load.yml\n"
        "      vars:\n        image_factory_image: grafana\n")
    # A namespace of its own: no host has <namespace>/grafana:12.2, whatever it loaded before.
    result = run_playbook(str(play), {"appstack_image_archive_dir": str(archives),
                                      "image_factory_namespace": unique_project("archive")}, tmp_path, timeout=300)
    assert result.returncode != 0
    assert f"{archives}/grafana-12.2.tar is missing" in result.stdout, result.stdout[-3000:]
    assert not archives.exists()
