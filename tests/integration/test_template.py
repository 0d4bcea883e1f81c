"""The SAM template: linted, valid, shaped as a deployer relies on, and buildable without Docker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.template import Template
from tests.support.imports import RUNTIME_PROVIDED, provided_top_levels, reachable_imports
from tests.support.tools import CFN_LINT, run_in_repo, sam_cli

TOOL_ENV = {
    **os.environ,
    "SAM_CLI_TELEMETRY": "0",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def run(*command: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return run_in_repo(*command, env=env or TOOL_ENV, timeout=timeout)


def test_cfn_lint_finds_nothing() -> None:
    # Given template.yaml / When cfn-lint reads it / Then it reports no finding at all
    result = run(CFN_LINT, "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes() -> None:
    # Given template.yaml and samconfig.toml / When SAM validates with its linter on
    result = run(sam_cli(), "validate", "--lint")
    # Then the template is accepted
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_the_table_is_on_demand_with_ttl_stream_recovery_and_encryption(template: Template) -> None:
    # Given the template's one table
    _, props = template.table()
    # Then it is on demand, reclaims expired items, streams new images, is recoverable and encrypted
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_the_delivery_queue_redrives_to_its_dead_letter_queue(template: Template) -> None:
    # Given the template's queues
    queues = template.queues()
    # Then a delivery that keeps failing ends in the dead-letter queue, and every queue is encrypted
    redrive = queues["DeliveryQueue"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 1
    assert all(q.get("SqsManagedSseEnabled") for q in queues.values())


def test_globals_pin_runtime_architecture_and_tracing(template: Template) -> None:
    # Given the settings every function inherits
    function_globals = template.raw["Globals"]["Function"]
    # Then they pin the Lambda runtime the deps layer is built for, and trace with X-Ray
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    policies = resource["Properties"].get("Policies", [])
    assert policies, "every function states its own policies"
    statements = []
    for policy in policies:
        assert isinstance(policy, dict) and "Statement" in policy, f"managed policy template used: {policy}"
        statements.extend(policy["Statement"])
    return statements


def test_every_function_has_least_privilege_statements(template: Template) -> None:
    # Given every function of the template
    for logical_id, resource in template.of_type("AWS::Serverless::Function").items():
        # Then each states its own statements (no managed policy templates), none with a wildcard
        for statement in _statements(resource):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all("*" not in action for action in actions), f"{logical_id}: wildcard action {actions}"
            assert all(r != "*" for r in resources), f"{logical_id}: wildcard resource"
            assert "dynamodb:DeleteTable" not in actions and "dynamodb:Scan" not in actions


def test_the_api_has_explicit_routes_and_its_function_answers_what_they_do_not_take(template: Template) -> None:
    # Given the merchant API's routes, of every function
    routes = [(f.name, r) for f in template.functions() for r in f.routes if r.api == "MerchantHttpApi"]
    # Then each is an explicit route (no `{proxy+}` catch-all), but for one `$default` route to the
    # API function: an unknown URL or method gets the error envelope (404, 405 + Allow), not API
    # Gateway's bare {"message":"Not Found"}, and API Gateway still picks the explicit routes first
    assert routes and all("+}" not in route.path for _, route in routes)
    defaults = [(name, route.method) for name, route in routes if route.path == "$default"]
    assert defaults == [("api", "ANY")]
    assert len([route for name, route in routes if name == "api"]) > 50


def test_outputs_name_what_a_user_needs(template: Template) -> None:
    # Given the stack's outputs / Then they name the URLs and resources a deployer looks up
    assert {"ApiUrl", "PortalUrl", "TableName", "DeliveryQueueUrl", "KeyMaterialSecretArn"} <= set(
        template.raw["Outputs"]
    )


def test_the_api_function_does_not_import_the_portal_or_pdf_libraries() -> None:
    # Given a fresh interpreter with the API function's code and the core layer on sys.path
    probe = (
        "import sys; sys.path[:0] = ['functions/api', 'layers/core']; import app; "
        "import json; print(json.dumps(sorted(m for m in ('jinja2', 'reportlab', 'starlette', 'mangum') "
        "if m in sys.modules)))"
    )
    # When it imports the handler module, as Lambda does on a cold start
    result = run(sys.executable, "-c", probe, env={**TOOL_ENV, "TABLE_NAME": "unused"})
    # Then neither the portal's web stack nor the PDF library was loaded
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("sam")
    env = {**TOOL_ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(
        sam_cli(), "build", "--build-dir", str(work / "build"), "--cache-dir", str(work / "cache"), env=env, timeout=900
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    yield work / "build"


@pytest.mark.slow
def test_sam_build_gives_every_function_all_it_imports(built: Path, template: Template) -> None:
    # Given what `sam build` produced: each function's code, the core layer and the deps layer
    core = built / "CoreLayer" / "python"
    deps = built / "DepsLayer" / "python"
    available = provided_top_levels(core) | provided_top_levels(deps) | set(sys.stdlib_module_names) | RUNTIME_PROVIDED
    for function in template.functions():
        code = built / function.logical_id
        module = function.handler.rpartition(".")[0]
        # When every import reachable from its handler is collected (first-party code followed)
        imported = reachable_imports(code / f"{module}.py", [code, core])
        # Then each is in its build, a layer, the standard library or what the runtime provides
        missing = imported - available - provided_top_levels(code)
        assert not missing, f"{function.logical_id} imports {sorted(missing)}, which its build lacks"


@pytest.mark.slow
def test_the_deps_layer_is_built_for_python313_on_arm64(built: Path) -> None:
    # Given the deps layer's compiled pydantic_core
    extensions = list((built / "DepsLayer" / "python" / "pydantic_core").glob("*.so"))
    # Then it is the CPython 3.13 aarch64 build, whatever machine ran `sam build`
    assert extensions and all("cpython-313-aarch64" in so.name for so in extensions)


@pytest.mark.slow
def test_the_api_build_carries_no_portal_code(built: Path) -> None:
    # Given the built API function
    api = built / "ApiFunction"
    # Then it holds its own code only: no portal code, no Makefile, no caches
    assert (api / "app.py").is_file() and (api / "merchant_api").is_dir()
    assert not (api / "portal_site").exists() and not (api / "Makefile").exists()
    assert not list(api.rglob("__pycache__"))


@pytest.mark.slow
def test_the_built_api_function_reaches_neither_jinja2_nor_reportlab(built: Path) -> None:
    # Given the built API function and the core layer it runs with
    api = built / "ApiFunction"
    # When every import reachable from its handler is collected, lazy ones inside functions included
    imported = reachable_imports(api / "app.py", [api, built / "CoreLayer" / "python"])
    # Then the walk reached its real dependencies, and none of the portal's or the PDF's libraries
    assert {"billing", "aws_lambda_powertools", "pydantic"} <= imported
    assert imported.isdisjoint({"jinja2", "reportlab", "starlette", "mangum"}), sorted(imported)


def test_deliver_cannot_take_the_api_and_portal_capacity(template: Template) -> None:
    # Given the functions and the delivery queue's mapping (issue 17, item 1)
    resources = template.resources
    parameters = template.raw["Parameters"]
    # Then the API and the portal each hold a reservation, from a parameter (0: none, the If drops it)
    for function, parameter in (
        ("ApiFunction", "ApiReservedConcurrency"),
        ("PortalFunction", "PortalReservedConcurrency"),
    ):
        reserved = resources[function]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved["Fn::If"][1] == {"Ref": parameter}, function
        assert int(parameters[parameter]["Default"]) > 0
    # And together they leave the 100 AWS keeps unreserved in a default (1,000) account
    defaults = sum(int(parameters[p]["Default"]) for p in ("ApiReservedConcurrency", "PortalReservedConcurrency"))
    assert defaults + 100 <= 1000
    # And deliver has a maximum concurrency on its queue's mapping
    deliver = resources["DeliverFunction"]["Properties"]
    (source,) = [e["Properties"] for e in deliver["Events"].values() if e["Type"] == "SQS"]
    assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "DeliverMaximumConcurrency"}
    assert 2 <= int(parameters["DeliverMaximumConcurrency"]["Default"]) <= 1000


def test_a_deliver_batch_fits_its_invocation_with_every_attempt_at_its_deadline(template: Template) -> None:
    # Given deliver's timeout, its batch size and the per-attempt deadline it is given
    deliver = template.resources["DeliverFunction"]["Properties"]
    (source,) = [e["Properties"] for e in deliver["Events"].values() if e["Type"] == "SQS"]
    deadline = float(deliver["Environment"]["Variables"]["WEBHOOK_TIMEOUT_SECONDS"])
    reserve = 3.0  # functions/deliver/app.py RESERVE_MS: the claim, the record, the visibility change
    # Then a batch whose receivers all use their whole deadline still ends before the function does
    assert source["BatchSize"] * deadline + reserve <= deliver["Timeout"]
    # And the queue hides a received message for longer than an invocation can last
    queue = template.queues()["DeliveryQueue"]
    assert queue["VisibilityTimeout"] >= deliver["Timeout"]
