"""The local stack's moto server answers as moto's own and works out each host's backend once."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import backends

from local.motoserver import MotoServer
from local.ports import free_port


def test_sqs_through_the_server_and_one_backend_lookup_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = []
    original = backends.list_of_moto_modules

    def counted() -> Any:
        listed.append(1)
        return original()

    monkeypatch.setattr(backends, "list_of_moto_modules", counted)
    port = free_port()
    server = MotoServer(port)
    server.start()
    try:
        sqs = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        # Given a queue, when messages are sent and received through the server
        url = sqs.create_queue(QueueName="served")["QueueUrl"]
        for body in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        # Then moto answered them, and looked the SQS host's backend up once for five requests
        assert sorted(m["Body"] for m in received) == ["a", "b", "c"]
        assert len(listed) == 1
    finally:
        server.stop()
