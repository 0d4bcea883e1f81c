"""DynamoDB's answers read by `billing.store.responses` exactly as botocore's own parser reads them."""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session
import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.parsers import JSONParser
from botocore.validate import ParamValidationDecorator

from billing.store import repository
from billing.store.responses import DynamoDBJSONParser, ParserFactory

BLOB = base64.b64encode(b"\x00sealed\xff").decode()
ITEM = {
    "pk": {"S": "ACCT#a#SUB#s"},
    "amount": {"N": "1999"},
    "active": {"BOOL": False},
    "gone": {"NULL": True},
    "tags": {"SS": ["a", "b"]},
    "counts": {"NS": ["1", "2.5"]},
    "sealed": {"B": BLOB},
    "keys": {"BS": [BLOB, BLOB]},
    "empty_map": {"M": {}},
    "empty_list": {"L": []},
    "nested": {"M": {"items": {"L": [{"M": {"price": {"S": "price_1"}, "raw": {"B": BLOB}}}, {"N": "3"}, {"L": []}]}}},
}
ANSWERS = {
    "GetItem": {"Item": ITEM, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}},
    "Query": {"Items": [ITEM, {"pk": {"S": "x"}}], "Count": 2, "LastEvaluatedKey": {"pk": {"S": "x"}}},
    "BatchGetItem": {
        "Responses": {"t": [ITEM]},
        "UnprocessedKeys": {"t": {"Keys": [{"pk": {"S": "y"}}], "ProjectionExpression": "pk"}},
    },
    "UpdateItem": {"Attributes": {"n": {"N": "1"}, "odd": {"S": None}}},
    "TransactWriteItems": {},
}
STREAM = {
    "Records": [
        {
            "eventID": "1",
            "eventName": "INSERT",
            "dynamodb": {"Keys": {"pk": {"S": "p"}}, "NewImage": ITEM, "SequenceNumber": "100", "SizeBytes": 10},
        }
    ],
    "NextShardIterator": "it",
}


def parsed(parser: Any, service: str, operation: str, answer: dict[str, Any], status: int = 200) -> Any:
    model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    response = {"status_code": status, "headers": {}, "body": json.dumps(answer).encode()}
    return parser.parse(response, model.output_shape)


@pytest.mark.parametrize("operation", sorted(ANSWERS))
def test_every_read_is_parsed_as_botocore_parses_it(operation: str) -> None:
    # Given an answer of each operation the repository reads, with every kind of attribute value
    answer = ANSWERS[operation]
    # When both parsers read it, then they agree to the last value (binary values decoded)
    ours = parsed(DynamoDBJSONParser(), "dynamodb", operation, answer)
    assert ours == parsed(JSONParser(), "dynamodb", operation, answer)
    if operation == "GetItem":
        assert ours["Item"]["sealed"] == {"B": b"\x00sealed\xff"}


def test_a_stream_record_is_parsed_as_botocore_parses_it() -> None:
    ours = parsed(DynamoDBJSONParser(), "dynamodbstreams", "GetRecords", STREAM)
    assert ours == parsed(JSONParser(), "dynamodbstreams", "GetRecords", STREAM)


def test_a_cancelled_transaction_keeps_its_reasons_and_items() -> None:
    # Given a cancelled transaction whose reasons carry the items as they stood
    error = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled",
        "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": ITEM}],
    }
    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("TransactWriteItems")
    response = {"status_code": 400, "headers": {}, "body": json.dumps(error).encode()}
    # Then both parsers read the same error
    assert DynamoDBJSONParser().parse(response, model.output_shape) == JSONParser().parse(response, model.output_shape)


def test_unions_botocore_must_judge_are_left_to_it() -> None:
    # Given attribute values that are not one known member with a value
    answer = {"Item": {"two": {"S": "a", "N": "1"}, "null": {"S": None}, "unknown": {"X": "1"}, "none": {}}}
    # Then ours reads them as botocore does
    assert parsed(DynamoDBJSONParser(), "dynamodb", "GetItem", answer) == parsed(
        JSONParser(), "dynamodb", "GetItem", answer
    )


def test_the_repository_clients_parse_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    repository.reset_clients()
    try:
        client = repository.client("dynamodb")
        factory = client._endpoint._response_parser_factory
        assert isinstance(factory, ParserFactory)
        assert isinstance(factory.create_parser("json"), DynamoDBJSONParser)
        assert not isinstance(client._serializer, ParamValidationDecorator)  # the service validates
    finally:
        repository.reset_clients()


def test_items_are_read_as_the_type_deserializer_reads_them() -> None:
    # Given an item with every kind of value, parsed from the wire as the clients parse it
    item = parsed(DynamoDBJSONParser(), "dynamodb", "GetItem", ANSWERS["GetItem"])["Item"]
    item["decimal"] = {"N": "12.50"}
    item["whole"] = {"N": "1e2"}
    item["negative"] = {"L": [{"N": "-0"}, {"N": "-3.25"}, {"NULL": True}, {"BOOL": True}]}
    # When the repository reads it, then each value is what TypeDeserializer and `_plain` make of it
    expected = {key: repository._plain(TypeDeserializer().deserialize(value)) for key, value in item.items()}
    read = repository.deserialize(item)
    assert read == expected
    assert {key: type(value) for key, value in read.items()} == {key: type(value) for key, value in expected.items()}
    assert [type(value) for value in read["negative"]] == [int, float, type(None), bool]
