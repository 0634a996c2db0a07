"""Checks of the deployment files, which cannot be run on CI machines (no Docker, no Terraform):

* terraform/: every file parses with HashiCorp-compatible python-hcl2, every reference is declared,
  checkov reports no failure that is not skipped inline with a reason, and the properties the
  design depends on hold (one hub task, WebSocket idle timeout, path routing, bucket rules, IAM,
  database TLS and one database role per service, /metrics out of the load balancer's reach).
* infra/docker-compose.yml and infra/docker/Dockerfile: health checks, ports, named volumes,
  non-root images, and the environment given to the hub and the upload service matches what their
  sources read (scanned from services/*/src at test time).

Run through tests/infra/run.sh, which installs the tools.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from pathlib import Path

import hcl2
import pytest
import yaml

from urllib.parse import urlparse

from infra_lib import (
    COMPOSE, DOCKERFILE, DOCKERIGNORE, ENV_DOC, REPO, TERRAFORM, Terraform, compose_env,
    dockerfile_stages, interpolate_defaults, literal, run_checkov, scan_rust_env, service_env,
    tfvars_keys, undeclared_references, url_host, used_variables,
)

SERVICES = {"hub": "natter-hub", "upload": "natter-upload"}
PORTS = {"hub": 8088, "upload": 8089}

# Variables whose local default (127.0.0.1 addresses, the development token secret, the build-tree
# web folder) is wrong in a container, so every container deployment must set them.
CONTAINER_REQUIRED = {
    "hub": {"HUB_ADDR", "METRICS_ADDR", "DATABASE_URL", "TOKEN_SECRET", "UPLOAD_PUBLIC_URL", "WEB_DIR",
            "MEDIA_PUBLIC_ORIGINS"},
    "upload": {"UPLOAD_ADDR", "METRICS_ADDR", "DATABASE_URL", "TOKEN_SECRET", "S3_BUCKET", "S3_REGION",
               "CORS_ORIGINS"},
}
METRICS_PORTS = {"hub": 9088, "upload": 9089}
# In compose the store is MinIO, reached with a static key and path-style URLs.
COMPOSE_REQUIRED = {
    "hub": set(),
    "upload": {"S3_ENDPOINT", "S3_FORCE_PATH_STYLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
}
CHECKOV = os.environ.get("CHECKOV_BIN") or shutil.which("checkov")


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tf() -> Terraform:
    return Terraform.load(TERRAFORM)


@pytest.fixture(scope="session")
def compose() -> dict:
    with COMPOSE.open() as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def stages():
    return dockerfile_stages(DOCKERFILE)


@pytest.fixture(scope="session", params=sorted(SERVICES))
def service(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def env_of():
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = service_env(name)
        return cache[name]

    return get


# --- Terraform: syntax and references --------------------------------------------------------------


def test_terraform_has_the_expected_files():
    expected = {"versions.tf", "variables.tf", "outputs.tf", "network.tf", "alb.tf", "ecs.tf",
                "rds.tf", "s3.tf", "iam.tf", "secrets.tf", "example.tfvars", "README.md"}
    missing = sorted(name for name in expected if not (TERRAFORM / name).is_file())
    assert not missing, f"missing in terraform/: {missing}"


@pytest.mark.parametrize("path", sorted(TERRAFORM.glob("*.tf")) + sorted(TERRAFORM.glob("*.tfvars")),
                         ids=lambda p: p.name)
def test_every_terraform_file_parses(path: Path):
    # checkov exits 0 on files it cannot parse, so parse errors must be caught here.
    with path.open() as handle:
        parsed = hcl2.load(handle)
    assert parsed, f"{path.name} parsed to nothing"


def test_every_reference_is_declared(tf: Terraform):
    assert tf.resources, "no resources found: the parser output changed shape"
    assert undeclared_references(tf) == []


def test_every_variable_has_a_description_and_a_default_or_an_example(tf: Terraform):
    example = tfvars_keys(TERRAFORM / "example.tfvars")
    problems = []
    for name, body in tf.variables.items():
        if not literal(body.get("description", "")).strip():
            problems.append(f"{name}: no description")
        if "default" not in body and name not in example:
            problems.append(f"{name}: no default and not set in example.tfvars")
    assert problems == []


def test_example_tfvars_sets_only_declared_variables(tf: Terraform):
    assert tfvars_keys(TERRAFORM / "example.tfvars") - set(tf.variables) == set()


def test_every_variable_is_used(tf: Terraform):
    assert set(tf.variables) - used_variables(tf) == set()


def test_outputs_give_the_chat_url_and_the_bucket(tf: Terraform):
    assert {"chat_url", "media_bucket"} <= set(tf.outputs)
    assert "chat.html" in tf.outputs["chat_url"]["value"]


# --- Terraform: checkov ----------------------------------------------------------------------------


def checkov_problems(report: dict) -> tuple[list[str], list[str]]:
    """(failed checks, checks skipped without a written reason) of one checkov JSON report."""
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] > 0 and summary["passed"] > 0, summary
    results = report["results"]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
              for c in results.get("failed_checks", [])]
    unexplained = []
    for check in results.get("skipped_checks", []):
        reason = (check["check_result"].get("suppress_comment") or "").strip()
        if len(reason) < 20 or reason == "No comment provided":
            unexplained.append(f"{check['check_id']} {check['resource']}")
    return failed, unexplained


def _assert_checkov_clean(report: dict):
    failed, unexplained = checkov_problems(report)
    assert failed == [], "checkov failures (fix them or skip inline with a reason):\n" + "\n".join(failed)
    assert unexplained == [], f"skipped without a written reason: {unexplained}"


@pytest.mark.skipif(not CHECKOV, reason="checkov not installed (run tests/infra/run.sh)")
def test_checkov_terraform_has_no_unexplained_failure():
    _assert_checkov_clean(run_checkov(TERRAFORM, "terraform", CHECKOV))


@pytest.mark.skipif(not CHECKOV, reason="checkov not installed (run tests/infra/run.sh)")
def test_checkov_dockerfile_has_no_unexplained_failure():
    _assert_checkov_clean(run_checkov(DOCKERFILE.parent, "dockerfile", CHECKOV))


# --- Terraform: the design --------------------------------------------------------------------------


def test_hub_runs_exactly_one_task_and_never_two_during_deploys(tf: Terraform):
    hub = tf.of_type("aws_ecs_service")["hub"]
    assert hub["desired_count"] == 1
    assert hub["deployment_maximum_percent"] == 100
    scaled = [t["resource_id"] for t in tf.of_type("aws_appautoscaling_target").values()]
    assert not any("aws_ecs_service.hub" in r for r in scaled), scaled
    assert "cluster broker" in (TERRAFORM / "ecs.tf").read_text()


def test_upload_autoscales_on_cpu_and_requests(tf: Terraform):
    metrics = set()
    for policy in tf.of_type("aws_appautoscaling_policy").values():
        for config in policy.get("target_tracking_scaling_policy_configuration", []):
            for spec in config.get("predefined_metric_specification", []):
                metrics.add(literal(spec["predefined_metric_type"]))
    assert {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"} <= metrics
    target = tf.of_type("aws_appautoscaling_target")["upload"]
    assert "aws_ecs_service.upload" in target["resource_id"]


def test_alb_keeps_websockets_open_and_checks_readyz(tf: Terraform):
    alb = tf.of_type("aws_lb")["main"]
    idle = alb["idle_timeout"]
    if isinstance(idle, str) and idle.startswith("${var."):
        idle = tf.variable_default(idle[len("${var."):-1])
    assert int(idle) >= 300, "WebSockets idle between heartbeats need a long ALB idle timeout"
    for name, group in tf.of_type("aws_lb_target_group").items():
        assert literal(group["health_check"][0]["path"]) == "/readyz", name


def test_alb_routes_media_to_upload_and_the_rest_to_hub(tf: Terraform):
    https = tf.of_type("aws_lb_listener")["https"]
    assert "aws_lb_target_group.hub" in https["default_action"][0]["target_group_arn"]
    rules = tf.of_type("aws_lb_listener_rule").values()
    routed = {}
    for rule in rules:
        target = rule["action"][0]["target_group_arn"]
        for cond in rule["condition"]:
            for pattern in cond.get("path_pattern", []):
                for value in pattern["values"]:
                    routed[literal(value)] = target
    for path in ("/api/v1/media*", "/media/*"):
        assert "aws_lb_target_group.upload" in routed.get(path, ""), routed


def test_bucket_is_private_encrypted_versioned_with_cors_and_pending_expiry(tf: Terraform):
    assert list(tf.of_type("aws_s3_bucket")) == ["media"], "one bucket only"
    block = tf.of_type("aws_s3_bucket_public_access_block")["media"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy",
                                           "ignore_public_acls", "restrict_public_buckets"))
    sse = tf.of_type("aws_s3_bucket_server_side_encryption_configuration")["media"]
    assert literal(sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"]) == "aws:kms"
    versioning = tf.of_type("aws_s3_bucket_versioning")["media"]
    assert literal(versioning["versioning_configuration"][0]["status"]) == "Enabled"
    cors = tf.of_type("aws_s3_bucket_cors_configuration")["media"]["cors_rule"][0]
    assert "PUT" in [literal(m) for m in cors["allowed_methods"]]
    pending = [r for r in tf.of_type("aws_s3_bucket_lifecycle_configuration")["media"]["rule"]
               if literal(r["filter"][0].get("prefix", "")) == "pending/"]
    assert pending and pending[0]["expiration"][0]["days"] == 1


def test_only_the_upload_role_may_touch_the_bucket(tf: Terraform):
    documents = {name: str(body) for name, body in tf.data.items()
                 if name.startswith("aws_iam_policy_document.")}
    with_s3 = {name for name, text in documents.items() if re.search(r"['\"]s3:", text)}
    for name, policy in tf.of_type("aws_iam_role_policy").items():
        uses_s3 = any(f"data.{doc}." in policy["policy"] for doc in with_s3) or "s3:" in str(policy["policy"])
        if uses_s3:
            assert "aws_iam_role.upload_task" in policy["role"], f"role policy {name} grants S3"
    for name, attachment in tf.of_type("aws_iam_role_policy_attachment").items():
        assert "S3" not in attachment["policy_arn"], f"{name} attaches an S3 managed policy"
    assert any(f"data.{doc}." in tf.of_type("aws_iam_role_policy")["upload_task"]["policy"]
               for doc in with_s3), "the upload role has no S3 access"
    execution = tf.of_type("aws_ecs_task_definition")
    assert "aws_iam_role.hub_task" in execution["hub"]["task_role_arn"]
    assert "aws_iam_role.upload_task" in execution["upload"]["task_role_arn"]


def test_secrets_come_from_secrets_manager_and_logs_have_retention(tf: Terraform):
    for service in SERVICES:
        secrets = tf.locals[f"{service}_secrets"]
        assert {"DATABASE_URL", "TOKEN_SECRET"} <= set(secrets)
        assert all("aws_secretsmanager_secret." in v for k, v in secrets.items() if not k.startswith("__"))
    groups = tf.of_type("aws_cloudwatch_log_group")
    assert groups and all("retention_in_days" in g for g in groups.values())


def test_the_database_forces_tls_and_the_services_verify_it(tf: Terraform, stages):
    group = tf.of_type("aws_rds_cluster_parameter_group")["main"]
    params = {literal(p["name"]): literal(p["value"]) for p in group["parameter"]}
    assert params["rds.force_ssl"] == "1"
    tls = literal(tf.locals["db_tls"])
    assert "sslmode=verify-full" in tls
    bundle = re.search(r"sslrootcert=([^&]+)", tls).group(1)
    runtime = " ".join(stages["runtime"].lines)
    assert f"-o {bundle}" in runtime, f"the images do not carry {bundle}"
    for service in SERVICES:
        version = tf.of_type("aws_secretsmanager_secret_version")[f"database_{service}"]
        assert "local.db_tls" in version["secret_string"], service


def test_each_service_has_its_own_database_role(tf: Terraform):
    hub = tf.locals["hub_secrets"]["DATABASE_URL"]
    upload = tf.locals["upload_secrets"]["DATABASE_URL"]
    assert "aws_secretsmanager_secret.database_hub." in hub
    assert "aws_secretsmanager_secret.database_upload." in upload
    assert literal(tf.locals["upload_environment"]["DATABASE_MIGRATE"]) == "false"
    for service in SERVICES:
        version = tf.of_type("aws_secretsmanager_secret_version")[f"database_{service}"]
        assert f"postgres://natter_{service}:" in version["secret_string"], service
    # Only the one-off set-up task sees the administrator's URL, and it runs infra/db/roles.sql.
    setup = str(tf.of_type("aws_ecs_task_definition")["db_setup"]["container_definitions"])
    assert "aws_secretsmanager_secret.database_admin." in setup and "infra/db/roles.sql" in setup
    for name in ("hub", "upload"):
        task = str(tf.of_type("aws_ecs_task_definition")[name]["container_definitions"])
        assert "database_admin" not in task and "database_admin" not in str(tf.locals[f"{name}_secrets"])


def test_metrics_ports_are_out_of_the_load_balancers_reach(tf: Terraform):
    for service, port in METRICS_PORTS.items():
        assert _port(literal(tf.locals[f"{service}_environment"]["METRICS_ADDR"])) == port
        for name, group in tf.of_type("aws_lb_target_group").items():
            assert group["port"] != port, name
    alb_side = [tf.of_type("aws_vpc_security_group_ingress_rule")["services_from_alb"],
                tf.of_type("aws_vpc_security_group_egress_rule")["alb_to_services"]]
    for rule in alb_side:
        reachable = range(rule["from_port"], rule["to_port"] + 1)
        assert not any(port in reachable for port in METRICS_PORTS.values()), rule


def test_client_addresses_are_believed_only_from_the_vpc(tf: Terraform):
    for service in SERVICES:
        assert tf.locals[f"{service}_environment"]["TRUSTED_PROXIES"] == "${var.vpc_cidr}"


def test_database_and_services_stay_in_private_subnets(tf: Terraform):
    assert "aws_subnet.private" in str(tf.of_type("aws_db_subnet_group")["main"]["subnet_ids"])
    for name, svc in tf.of_type("aws_ecs_service").items():
        network = svc["network_configuration"][0]
        assert "aws_subnet.private" in str(network["subnets"]), name
        assert network["assign_public_ip"] is False, name


# --- Environment variables: services vs. deployments -----------------------------------------------


def test_the_service_sources_declare_their_environment(service, env_of):
    env = env_of(service)
    assert env.sources, f"no Rust sources found for {service}"
    assert {"DATABASE_URL", "TOKEN_SECRET"} <= env.reads, (
        f"{service}: no DATABASE_URL/TOKEN_SECRET found in {[str(p.relative_to(REPO)) for p in env.sources]}"
    )


def test_compose_gives_each_service_only_variables_it_reads(compose, service, env_of):
    given = set(compose_env(compose["services"][service]))
    unknown = given - env_of(service).reads
    assert unknown == set(), f"compose sets variables {service} never reads: {sorted(unknown)}"


def test_compose_gives_each_service_what_it_needs(compose, stages, service, env_of):
    given = set(compose_env(compose["services"][service])) | set(stages[service].env())
    needed = CONTAINER_REQUIRED[service] | COMPOSE_REQUIRED[service] | env_of(service).required
    assert needed - given == set(), f"{service} in compose lacks {sorted(needed - given)}"


def test_dockerfile_sets_only_variables_the_service_reads(stages, service, env_of):
    unknown = set(stages[service].env()) - env_of(service).reads
    assert unknown == set(), f"Dockerfile stage {service} sets {sorted(unknown)}, never read"


def test_terraform_gives_each_service_only_variables_it_reads_and_what_it_needs(tf, service, env_of):
    given = {k for k in tf.locals[f"{service}_environment"] if not k.startswith("__")}
    given |= {k for k in tf.locals[f"{service}_secrets"] if not k.startswith("__")}
    env = env_of(service)
    assert given - env.reads == set(), f"terraform sets variables {service} never reads"
    missing = (CONTAINER_REQUIRED[service] | env.required) - given
    assert missing == set(), f"terraform does not give {service} {sorted(missing)}"
    assert not given & {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, "use the task role, not keys"
    if service == "hub":
        assert literal(tf.locals["hub_environment"].get("DEV_LOGIN", "false")) == "false"


def test_every_variable_is_documented(compose, tf, stages, env_of):
    doc = ENV_DOC.read_text() + ((REPO / "README.md").read_text() if (REPO / "README.md").exists() else "")
    documented = set(re.findall(r"^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|", doc, re.M))
    names = set()
    for service in SERVICES:
        names |= env_of(service).reads - {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"}
        names |= set(compose_env(compose["services"][service]))
    assert names - documented == set(), f"add to the table in {ENV_DOC.relative_to(REPO)}"


# --- Compose ---------------------------------------------------------------------------------------


def _one_shot(compose: dict, name: str) -> bool:
    """A job other services wait for with `service_completed_successfully`."""
    if str(compose["services"][name].get("restart", "no")) != "no":
        return False
    return any(isinstance(s.get("depends_on"), dict)
               and s["depends_on"].get(name, {}).get("condition") == "service_completed_successfully"
               for s in compose["services"].values())


def test_compose_has_the_whole_stack(compose):
    assert {"postgres", "minio", "minio-init", "hub", "upload"} <= set(compose["services"])


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, svc in compose["services"].items():
        if _one_shot(compose, name):
            continue
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


def test_service_healthchecks_hit_readyz(compose, service):
    test = compose["services"][service]["healthcheck"]["test"]
    assert f"127.0.0.1:{PORTS[service]}/readyz" in " ".join(test)


def test_dependencies_wait_on_real_conditions(compose):
    services = compose["services"]
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            condition = spec.get("condition")
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, dep)
            if condition == "service_healthy":
                assert services[dep].get("healthcheck"), f"{name} waits for {dep}, which has no healthcheck"
    assert "postgres" in services["hub"]["depends_on"]
    assert {"postgres", "minio-init"} <= set(services["upload"]["depends_on"])


def test_services_publish_their_ports(compose, service):
    ports = [str(p) for p in compose["services"][service].get("ports", [])]
    assert any(p.endswith(f":{PORTS[service]}:{PORTS[service]}") for p in ports), ports


def _port(addr: str) -> int:
    return int(interpolate_defaults(addr).rsplit(":", 1)[1])


def test_metrics_listen_apart_and_are_never_published(compose, stages, service):
    env = compose_env(compose["services"][service])
    assert _port(env["METRICS_ADDR"]) == METRICS_PORTS[service] != PORTS[service]
    assert _port(stages[service].env()["METRICS_ADDR"]) == METRICS_PORTS[service]
    for published in compose["services"][service].get("ports", []):
        assert not str(published).endswith(f":{METRICS_PORTS[service]}"), published


def test_each_service_logs_in_to_postgres_as_its_own_role(compose):
    hub = urlparse(interpolate_defaults(compose_env(compose["services"]["hub"])["DATABASE_URL"]))
    upload = compose_env(compose["services"]["upload"])
    assert hub.username == "natter_hub"
    assert urlparse(interpolate_defaults(upload["DATABASE_URL"])).username == "natter_upload"
    assert upload["DATABASE_MIGRATE"] == "false", "natter_upload may not change the schema"
    init = compose["services"]["postgres-init"]
    assert any("db/roles.sql" in str(v) for v in init.get("volumes", []))
    assert compose["services"]["hub"]["depends_on"]["postgres-init"]["condition"] == "service_completed_successfully"


def test_state_lives_in_named_volumes(compose):
    declared = set(compose.get("volumes") or {})
    for name in ("postgres", "minio"):
        mounts = compose["services"][name].get("volumes", [])
        sources = [m.split(":", 1)[0] if isinstance(m, str) else m.get("source") for m in mounts]
        assert sources and all(s in declared for s in sources), f"{name}: {sources} not named volumes"


def test_services_share_secret_database_and_bucket(compose):
    hub = compose_env(compose["services"]["hub"])
    upload = compose_env(compose["services"]["upload"])
    init = compose_env(compose["services"]["minio-init"])
    assert hub["TOKEN_SECRET"] == upload["TOKEN_SECRET"], "tokens signed by the hub must verify in upload"
    assert url_host(hub["DATABASE_URL"]) == url_host(upload["DATABASE_URL"]) == "postgres"
    assert url_host(upload["S3_ENDPOINT"]) == "minio"
    assert upload["S3_BUCKET"] == init["BUCKET"]
    assert upload["AWS_ACCESS_KEY_ID"] == init["UPLOAD_ACCESS_KEY"]
    assert upload["AWS_SECRET_ACCESS_KEY"] == init["UPLOAD_SECRET_KEY"]


def test_minio_init_creates_bucket_key_and_cors(compose):
    script = " ".join(compose["services"]["minio-init"].get("command") or [])
    for step in ("mc mb", "mc admin user add", "mc admin policy attach", "cors_allow_origin"):
        assert step in script, f"minio-init does not run `{step}`"


def test_compose_needs_only_the_token_secret_from_the_environment():
    text = re.sub(r"#[^\n]*", "", COMPOSE.read_text())
    without_default = re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)
    assert without_default == [], "give these a default with ${VAR:-default}"
    required = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", text)
    assert required == ["TOKEN_SECRET"], "only the token secret has no default (compose stops without it)"
    assert "TOKEN_SECRET:-" not in text and "TOKEN_SECRET-" not in text
    # A lone `$NAME` is interpolated by compose (to '' when unset); shell variables need `$$NAME`.
    lone = re.findall(r"(?<!\$)\$(?![${])(\w+)", text)
    assert lone == [], f"write $$ for shell variables: {lone}"


def test_compose_builds_from_the_dockerfile_targets(compose, stages, service):
    build = compose["services"][service]["build"]
    dockerfile = (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve()
    assert dockerfile == DOCKERFILE.resolve()
    assert build["target"] == service and service in stages


# --- Dockerfile --------------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_with_dependency_caching(stages):
    assert len(stages) >= 3
    builder = " ".join(stages["builder"].lines)
    assert "cargo chef cook" in builder
    assert builder.index("cargo chef cook") < builder.index("COPY . .")


def test_runtime_images_are_small_and_run_as_non_root(stages, service):
    stage = stages[service]
    base = stage.base
    while base in stages:  # follow FROM <earlier stage>
        base = stages[base].base
    assert re.search(r"(slim|distroless|alpine)", base), base
    users = stage.instruction("USER")
    assert users and users[-1].split(":")[0] not in {"0", "root"}, users
    assert any(SERVICES[service] in e for e in stage.instruction("ENTRYPOINT"))


def test_hub_image_carries_the_page(stages):
    hub = stages["hub"]
    assert any(c.startswith("web/") or c.startswith("web ") for c in hub.instruction("COPY"))
    web_dir = hub.env()["WEB_DIR"]
    assert any(c.split()[-1].rstrip("/") == web_dir.rstrip("/") for c in hub.instruction("COPY"))


def test_dockerignore_keeps_what_the_build_needs():
    ignored = {l.strip().rstrip("/") for l in DOCKERIGNORE.read_text().splitlines()
               if l.strip() and not l.startswith("#")}
    members = re.findall(r'"([^"]+)"', re.search(r"members\s*=\s*\[(.*?)\]",
                                                 (REPO / "Cargo.toml").read_text(), re.S).group(1))
    needed = {"web", "migrations", "services", "Cargo.toml", "Cargo.lock"} | set(members)
    needed |= {m.split("/")[0] for m in members}
    assert needed & ignored == set()


# --- The checks themselves can fail -------------------------------------------------------------------


def test_reference_check_catches_undeclared_names():
    tf = Terraform.from_sources({"main.tf": textwrap.dedent('''
        terraform {
          required_providers {
            aws = { source = "hashicorp/aws" }
          }
        }
        variable "known" {
          description = "d"
          default     = "x"
        }
        locals {
          ok = "${var.known}-com.amazonaws.example"
        }
        resource "aws_s3_bucket" "a" {
          bucket = "${local.ok}-${var.missing}-${local.nope}"
          policy = data.aws_iam_policy_document.gone.json
          tags   = { other = aws_s3_bucket.b.id, fine = aws_s3_bucket.a.id, m = module.ghost.x }
        }
    ''')})
    assert undeclared_references(tf) == [
        "main.tf: aws_s3_bucket.b",
        "main.tf: data.aws_iam_policy_document.gone",
        "main.tf: local.nope",
        "main.tf: module.ghost",
        "main.tf: var.missing",
    ]


def test_parse_errors_are_raised():
    with pytest.raises(Exception):
        hcl2.loads('resource "aws_s3_bucket" "a" {\n  bucket = \n}\n')


def test_env_scanner_reads_clap_attributes_and_std_env():
    reads, required = scan_rust_env(textwrap.dedent('''
        pub struct Config {
            /// Explicit name with a default.
            #[arg(long, env = "HUB_ADDR", default_value = "127.0.0.1:8088")]
            pub addr: SocketAddr,
            /// Name derived from the field, no default: required.
            #[arg(long, env)]
            pub s3_bucket: String,
            #[arg(long, env)]
            pub maybe_thing: Option<String>,
            #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/web"))]
            pub not_env: PathBuf,
        }
        fn f() { let _ = std::env::var("LOG_FORMAT"); EnvFilter::try_from_default_env(); }
    '''))
    assert reads == {"HUB_ADDR", "S3_BUCKET", "MAYBE_THING", "LOG_FORMAT", "RUST_LOG"}
    assert required == {"S3_BUCKET"}


@pytest.mark.skipif(not CHECKOV, reason="checkov not installed (run tests/infra/run.sh)")
def test_checkov_check_fails_on_an_insecure_bucket(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "open" {\n  bucket = "x"\n}\n'
                                      'resource "aws_s3_bucket" "skipped" {\n'
                                      '  #checkov:skip=CKV_AWS_18\n  bucket = "y"\n}\n')
    failed, unexplained = checkov_problems(run_checkov(tmp_path, "terraform", CHECKOV))
    assert any(f.startswith("CKV2_AWS_6 aws_s3_bucket.open") for f in failed), failed
    assert "CKV_AWS_18 aws_s3_bucket.skipped" in unexplained
