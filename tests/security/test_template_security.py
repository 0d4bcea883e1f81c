"""template.yaml under the infrastructure scanners: checkov and cfn-lint (every rule level),
with no failing check left unexplained, and encryption at rest on everything that stores data.

checkov pins its own dependencies (boto3, pydantic, …), so it lives in its own virtualenv,
`.venv-iac` (`make iac`, from requirements-iac.txt), as the SAM CLI lives in `.venv-sam`.
A check that does not apply is skipped in the resource's own Metadata with its reason:

    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_117
            comment: why it does not apply, or what stands in for it
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from local.template import Template
from tests.support.tools import CFN_LINT, checkov, run_in_repo

TOOL_ENV = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
# cfn-lint findings the template accepts, with the reason (none today).
CFN_LINT_ACCEPTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    result = run_in_repo(
        checkov(),
        *("--file", "template.yaml"),
        *("--framework", "cloudformation"),
        *("--output", "json"),
        "--compact",
        "--skip-download",
        env=TOOL_ENV,
    )
    assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    [cloudformation] = [r for r in reports if r.get("check_type") == "cloudformation"]
    return dict(cloudformation)


def test_checkov_fails_no_check(checkov_report: dict[str, Any]) -> None:
    # Given checkov's CloudFormation checks on template.yaml
    results = checkov_report["results"]
    # Then it checked the template's resources, and no check failed
    assert results["passed_checks"], "checkov checked nothing: did it read the template?"
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results["failed_checks"]]
    assert not failed, "checkov checks failing (fix them, or skip them with a reason):\n" + "\n".join(failed)


def test_every_skipped_checkov_check_says_why(checkov_report: dict[str, Any], template: Template) -> None:
    # Given every skip in the template's Metadata
    skips = []
    for logical_id, resource in template.resources.items():
        for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            skips.append((logical_id, skip))
    # Then each names a check and gives a reason of some substance
    for logical_id, skip in skips:
        assert str(skip.get("id", "")).startswith("CKV"), (logical_id, skip)
        assert len(str(skip.get("comment", "")).split()) >= 5, f"{logical_id} skips {skip.get('id')} without a reason"
    # And checkov honoured each one (a skip of a check that would pass is dead weight)
    skipped = {(c["check_id"], c["resource"].split(".")[-1]) for c in checkov_report["results"]["skipped_checks"]}
    for logical_id, skip in skips:
        assert (skip["id"], logical_id) in skipped, f"{logical_id} skips {skip['id']}, which checkov does not report"


def test_cfn_lint_at_every_level_finds_nothing_unexplained() -> None:
    # Given cfn-lint with informational rules too (test_template.py runs the default levels)
    result = run_in_repo(CFN_LINT, "template.yaml", "--format", "json", "--include-checks", "I")
    findings = json.loads(result.stdout or "[]")
    # Then every finding is one the template accepts, with its reason
    unexplained = [
        f"{f['Rule']['Id']} {f['Location']['Path']}: {f['Message']}"
        for f in findings
        if f["Rule"]["Id"] not in CFN_LINT_ACCEPTED
    ]
    assert not unexplained, "\n".join(unexplained)


def test_everything_that_stores_data_is_encrypted_at_rest(template: Template) -> None:
    # The table: KMS encryption on (DynamoDB always encrypts; SSEEnabled makes it KMS, not an owned key)
    _, table = template.table()
    assert table["SSESpecification"]["SSEEnabled"] is True
    # Every queue: SQS-managed SSE or a KMS key
    queues = template.queues()
    assert queues
    for logical_id, props in queues.items():
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), logical_id
        assert props.get("SqsManagedSseEnabled") is not False, logical_id
    # The key material lives in Secrets Manager (always KMS-encrypted), never in an environment variable
    secrets = template.of_type("AWS::SecretsManager::Secret")
    assert list(secrets) == ["KeyMaterialSecret"]
    # The functions get the secret's ARN, never its value
    assert template.global_environment()["KEY_MATERIAL_SECRET_ARN"] == {"Ref": "KeyMaterialSecret"}


def test_loopback_urls_are_never_enabled_in_a_deployed_stack(template: Template) -> None:
    # Given the setting the local stack and the tests set to let test-mode webhooks and return
    # URLs point to 127.0.0.1 (deployed, that is the Lambda runtime's own API: issue 17, item 8)
    from billing.webhooks import egress

    # Then template.yaml mentions it nowhere: no function's environment, no parameter, no global
    assert egress.LOOPBACK_SETTING not in template.path.read_text()
    assert egress.LOOPBACK_SETTING not in json.dumps(template.raw)
