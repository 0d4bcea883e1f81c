"""`make dev`: the whole system on this machine, with the real handlers: DynamoDB on AWS's
DynamoDB Local, SQS, Secrets Manager and SES on moto's server, payments on localstripe.

python -m local.dev [--api-port 3000] [--portal-port 3001] [--dynamodb-port 8000] [--moto-port 4566]
                    [--stripe-port 8420] [--demo-gateway stripe|simulator]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from local.console import say
from local.template import ROOT, TEMPLATE_PATH, Template, TemplateError

STACK_FILE = ROOT / ".local" / "stack.json"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class StartupError(Exception):
    """Something the developer can fix: a port in use, a broken template."""


@dataclass(frozen=True)
class Ports:
    dynamodb: int
    moto: int
    api: int
    portal: int
    receiver: int
    stripe: int


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="make dev", description="Run the VINR portal locally.")
    parser.add_argument("--dynamodb-port", type=int, default=int(env("VINR_DYNAMODB_PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=int(env("VINR_MOTO_PORT", "4566")))
    parser.add_argument("--api-port", type=int, default=int(env("VINR_API_PORT", "3000")))
    parser.add_argument("--portal-port", type=int, default=int(env("VINR_PORTAL_PORT", "3001")))
    parser.add_argument("--receiver-port", type=int, default=int(env("VINR_RECEIVER_PORT", "3002")))
    parser.add_argument("--stripe-port", type=int, default=int(env("VINR_STRIPE_PORT", "8420")))
    parser.add_argument(
        "--demo-gateway",
        choices=("stripe", "simulator"),
        default=env("VINR_DEMO_GATEWAY", "stripe"),
        help="the demo account's payments: connected to localstripe (default) or test mode's simulator",
    )
    parser.add_argument("--schedule-seconds", type=float, default=60.0, help="how often scheduled functions run")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env("VINR_LOCAL_WORKERS", "0")),
        help="worker processes per HTTP function (as Lambda's containers); 0 runs them in this process",
    )
    parser.add_argument("--stack-file", type=Path, default=STACK_FILE)
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="the SAM template to run")
    return parser.parse_args(argv)


def check_port(port: int, flag: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise StartupError(f"port {port} on 127.0.0.1 is in use (choose another with {flag})") from None


def check_tools() -> None:
    """The packages the stack runs on; `make dev` installs them, a bare `python -m local.dev` may lack them."""
    import importlib.util

    from local import dynamodblocal

    missing = [
        name
        for name in ("boto3", "moto", "yaml", "aws_lambda_powertools", "vinr")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise StartupError(
            f"missing Python packages {', '.join(missing)}: run `make dev`, which installs them into .venv"
        )
    try:
        dynamodblocal.check()
    except dynamodblocal.NotInstalled as error:
        raise StartupError(str(error)) from None


def load_template(path: Path = TEMPLATE_PATH) -> Template:
    from local import template

    try:
        loaded = template.load(path)
        loaded.table()
        functions = loaded.functions()
    except TemplateError as error:
        raise StartupError(f"template.yaml: {error}") from None
    apis = set(loaded.http_apis())
    if not {"MerchantHttpApi", "PortalHttpApi"} <= apis:
        raise StartupError("template.yaml: needs the HttpApis MerchantHttpApi and PortalHttpApi")
    if not functions:
        raise StartupError("template.yaml: no functions")
    return loaded


class _Process:
    """A child process the stack stops with its other parts."""

    def __init__(self, process: Any) -> None:
        self.process = process

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class LocalStack:
    def __init__(
        self, template: Template, ports: Ports, schedule_seconds: float, stack_file: Path, workers: int = 0
    ) -> None:
        self.workers = workers
        self.stripe_url = f"http://127.0.0.1:{ports.stripe}"
        self.template = template
        self.ports = ports
        self.schedule_seconds = schedule_seconds
        self.stack_file = stack_file
        self.stopped = threading.Event()
        self._parts: list[Any] = []

    def start(self) -> dict[str, Any]:
        from local.dynamodblocal import DynamoDBLocal
        from local.motofidelity import sqs_receive_in_linear_time, sqs_visibility_per_receive
        from local.motoserver import MotoServer

        sqs_visibility_per_receive()
        sqs_receive_in_linear_time()

        dynamodb = DynamoDBLocal(self.ports.dynamodb)
        self._parts.append(dynamodb)
        dynamodb.start()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        moto = MotoServer(self.ports.moto)
        moto.start()
        self._parts.append(moto)
        endpoint = f"http://127.0.0.1:{self.ports.moto}"
        os.environ.update(FAKE_AWS)
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        # DynamoDB and its stream on DynamoDB Local; every other service on moto's server.
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb.endpoint
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = dynamodb.endpoint

        from billing.kernel import config
        from billing.store import repository, responses
        from local import gateway, pollers, resources

        session = responses.session()  # the stream's records read as the functions' items are
        made = resources.create_all(self.template, session, prefix="vinr-local")
        api_url = f"http://127.0.0.1:{self.ports.api}"
        portal_url = f"http://127.0.0.1:{self.ports.portal}"
        for function in self.template.functions():
            os.environ.update(resources.resolve_environment(function.environment, made.refs(), portal_url))
        os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
        os.environ["KEY_CACHE_SECONDS"] = "0"  # revocations show at once locally
        # Test-mode webhooks and return URLs may point to this machine (the local receiver); never deployed.
        os.environ["VINR_LOCAL_LOOPBACK_URLS"] = "1"
        # No per-key limit locally: `make load` drives the demo key faster than a deployed key may go.
        os.environ.pop("API_KEY_RATE_LIMIT", None)
        # Portal domains are verified against TXT records written in this file (billing.accounts.domains).
        os.environ.setdefault("DNS_TXT_RECORDS_FILE", str(self.stack_file.parent / "dns-records.json"))
        os.environ["DELIVERY_QUEUE_URL"] = made.queues.get("DeliveryQueue", "")
        from local import stripefake

        self._parts.append(_Process(stripefake.start_process(self.ports.stripe)))
        os.environ["STRIPE_API_BASE"] = self.stripe_url
        os.environ["STRIPE_JS_URL"] = f"{self.stripe_url}/js.stripe.com/v3/"
        config.reset()
        repository.reset_clients()

        functions = self.template.functions()
        for api, port in (("MerchantHttpApi", self.ports.api), ("PortalHttpApi", self.ports.portal)):
            server = gateway.Gateway(api, gateway.routes_for(api, functions), port, workers=self.workers)
            server.start()
            self._parts.append(server)
        from local.receiver import LocalReceiver

        self.receiver = LocalReceiver(self.ports.receiver)
        self.receiver.start()
        self._parts.append(self.receiver)
        from local.mailbox import Mailbox

        self.mailbox = Mailbox(int(os.environ.get("VINR_MAILBOX_PORT", "3003")))
        self.mailbox.start()
        self._parts.append(self.mailbox)
        for poller in pollers.pollers_for(
            functions,
            session=session,
            queue_urls=made.queues,
            queue_arns=made.queue_arns,
            stream_arn=made.stream_arn,
            schedule_interval=self.schedule_seconds,
        ):
            poller.start()
            self._parts.append(poller)

        description = {
            "endpoint": endpoint,
            "dynamodbEndpoint": dynamodb.endpoint,
            "region": "us-east-1",
            "tableName": made.table_name,
            "queues": made.queues,
            "secretArn": made.secret_arn,
            "apiUrl": api_url,
            "portalUrl": portal_url,
            "webhookReceiverUrl": self.receiver.url,
            "mailboxUrl": self.mailbox.url,
            "stripeUrl": self.stripe_url,
        }
        self.stack_file.parent.mkdir(parents=True, exist_ok=True)
        self.stack_file.write_text(json.dumps(description, indent=2))
        return description

    def stop(self) -> None:
        for part in reversed(self._parts):
            try:
                part.stop()
            except Exception as error:  # keep stopping the rest
                print(f"while stopping {type(part).__name__}: {error}", file=sys.stderr)
        self._parts.clear()
        self.stack_file.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    ports = Ports(
        dynamodb=args.dynamodb_port,
        moto=args.moto_port,
        api=args.api_port,
        portal=args.portal_port,
        receiver=args.receiver_port,
        stripe=args.stripe_port,
    )
    try:
        check_tools()
        template = load_template(args.template)
        check_port(ports.dynamodb, "--dynamodb-port or VINR_DYNAMODB_PORT")
        check_port(ports.moto, "--moto-port or VINR_MOTO_PORT")
        check_port(ports.api, "--api-port or VINR_API_PORT")
        check_port(ports.portal, "--portal-port or VINR_PORTAL_PORT")
        check_port(ports.receiver, "--receiver-port or VINR_RECEIVER_PORT")
        check_port(ports.stripe, "--stripe-port or VINR_STRIPE_PORT")
    except StartupError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 2

    stack = LocalStack(template, ports, args.schedule_seconds, args.stack_file, workers=args.workers)

    def request_stop(signum: int, _: FrameType | None) -> None:
        stack.stopped.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        described = stack.start()
        from local.seed import GatewayLink, seed

        gateway = None
        if args.demo_gateway == "stripe":
            gateway = GatewayLink(stack.stripe_url, described["apiUrl"])
        demo = seed(webhook_url=stack.receiver.url, on_webhook_secret=stack.receiver.use_secret, gateway=gateway)
    except Exception as error:
        stack.stop()
        print(f"make dev: the local stack did not start: {type(error).__name__}: {error}", file=sys.stderr)
        return 1

    mint_body = json.dumps({"customer": demo.customer_id, "returnUrl": "http://localhost:8000/account"})
    say(
        "\nVINR portal, running locally on DynamoDB Local, moto and localstripe\n"
        f"  merchant API   {described['apiUrl']}\n"
        f"  portal         {described['portalUrl']}\n"
        f"  DynamoDB Local {described['dynamodbEndpoint']} (the table and its stream, in memory)\n"
        f"  moto           {described['endpoint']} (SQS, Secrets Manager, SES)\n"
        f"  localstripe    {described['stripeUrl']} (the payment gateway; Stripe.js at /js.stripe.com/v3/)\n"
        f"  demo gateway   {demo.gateway_note}\n"
        f"  demo account   {demo.account_id} (Demo Co), customer {demo.customer_id} on {demo.subscription_id}\n"
        f"  secret key     {demo.secret_key}\n"
        f"  portal link    {demo.portal_url}\n"
        "                 (opens once, for 30 minutes; mint another with the curl below)\n"
        f"  portal sign-in {demo.login_url}\n"
        "                 (ada@example.com, then the code from the local mailbox)\n"
        f"  webhooks       {described['webhookReceiverUrl']} (endpoint {demo.webhook_endpoint_id}):\n"
        "                 every event of the demo account is printed below as it is delivered and verified\n"
        f"  mailbox        {described['mailboxUrl']} (every email the stack sent, as sent: HTML and text)\n\n"
        "Try it:\n"
        f'  curl -s {described["apiUrl"]}/v1/account -H "Authorization: Bearer {demo.secret_key}"\n'
        f"  curl -s {described['apiUrl']}/v1/billing/portal_sessions -H 'Authorization: Bearer {demo.secret_key}' \\\n"
        f"    -H 'Content-Type: application/json' -d '{mint_body}'\n\n"
        "More accounts: make account NAME=Acme (in another terminal). Ctrl-C stops.\n"
        "ready"
    )
    stack.stopped.wait()
    stack.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
