"""Creates the template's table, queues and key-material secret on an AWS endpoint (moto)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from local.template import Template, TemplateError

# The local stack's sending domain (the template's SenderDomain): verified in moto's SES, so the
# mailer sends as it does deployed, and nothing leaves the machine.
LOCAL_SENDER_DOMAIN = "mail.vinr.localhost"


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    stream_arn: str
    queues: dict[str, str]  # logical ID → queue URL
    queue_arns: dict[str, str]
    secret_arn: str

    def refs(self) -> dict[str, str]:
        """What `!Ref`/`!GetAtt` resolve to, for environment variables and event sources."""
        values = {"Table": self.table_name, "KeyMaterialSecret": self.secret_arn}
        values.update(self.queues)
        return values


def table_request(template: Template, name: str) -> dict[str, Any]:
    """The `CreateTable` request for the template's table."""
    _, props = template.table()
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True}
    return request


def create_table(template: Template, dynamodb: Any, name: str) -> str:
    """Creates the table (with TTL) and answers its stream ARN ('' when it has none)."""
    _, props = template.table()
    answer = dynamodb.create_table(**table_request(template, name))
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )
    return str(answer["TableDescription"].get("LatestStreamArn", ""))


def create_queues(template: Template, sqs: Any, prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """Creates the queues, dead-letter queues first, resolving `RedrivePolicy` references."""
    queues = template.queues()
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    pending = dict(queues)
    while pending:
        progressed = False
        for logical_id, props in list(pending.items()):
            attributes: dict[str, str] = {}
            redrive = props.get("RedrivePolicy")
            if redrive:
                target = redrive["deadLetterTargetArn"]
                target_id = target["Fn::GetAtt"][0] if isinstance(target, dict) else None
                if target_id not in queues:
                    raise TemplateError(f"{logical_id}: dead-letter target must be a queue of the template")
                if target_id not in arns:
                    continue
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": arns[target_id], "maxReceiveCount": str(redrive["maxReceiveCount"])}
                )
            for prop, attr in (
                ("VisibilityTimeout", "VisibilityTimeout"),
                ("MessageRetentionPeriod", "MessageRetentionPeriod"),
            ):
                if prop in props:
                    attributes[attr] = str(props[prop])
            url = sqs.create_queue(QueueName=f"{prefix}-{logical_id}", Attributes=attributes)["QueueUrl"]
            urls[logical_id] = url
            arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            del pending[logical_id]
            progressed = True
        if not progressed:
            raise TemplateError("queues' redrive policies refer to each other in a cycle")
    return urls, arns


def create_secret(secretsmanager: Any, name: str) -> str:
    """The key-material secret, generated here as CloudFormation generates it on deploy."""
    value = json.dumps({"purpose": "vinr-portal", "master": secrets.token_urlsafe(48)})
    return str(secretsmanager.create_secret(Name=name, SecretString=value)["ARN"])


def create_all(template: Template, session: Any, prefix: str = "vinr-local") -> LocalResources:
    dynamodb = session.client("dynamodb")
    table_name = f"{prefix}-table"
    stream_arn = create_table(template, dynamodb, table_name)
    queues, arns = create_queues(template, session.client("sqs"), prefix)
    secret_arn = create_secret(session.client("secretsmanager"), f"{prefix}-key-material")
    if template.of_type("AWS::SES::EmailIdentity"):
        session.client("sesv2").create_email_identity(EmailIdentity=LOCAL_SENDER_DOMAIN)
    return LocalResources(
        table_name=table_name, stream_arn=stream_arn, queues=queues, queue_arns=arns, secret_arn=secret_arn
    )


def resolve_environment(environment: dict[str, Any], refs: dict[str, str], portal_url: str) -> dict[str, str]:
    """The function's environment with `!Ref`s resolved to local names; the portal URL is local."""
    resolved: dict[str, str] = {}
    for name, value in environment.items():
        if name == "PORTAL_BASE_URL":
            resolved[name] = portal_url
        elif isinstance(value, str):
            resolved[name] = value
        elif isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in refs:
                resolved[name] = refs[ref]
            elif ref == "Stage":
                resolved[name] = "local"
            elif ref == "LogLevel":
                resolved[name] = "INFO"
            elif ref == "SenderDomain":
                resolved[name] = LOCAL_SENDER_DOMAIN
            else:
                raise TemplateError(f"environment variable {name} refers to {ref}, which the local stack lacks")
        else:
            raise TemplateError(f"environment variable {name} has a value the local stack cannot resolve")
    return resolved
