"""DynamoDB's answers read without botocore's generic walk over every attribute value.

botocore parses a JSON answer by walking the operation's output model node by node; DynamoDB's
items are maps of `AttributeValue` unions, so a read spends more time there than in anything
else it does. An `AttributeValue` is already in its parsed form on the wire except for binary
values (base64), so `ParserFactory` reads those unions and maps of them directly and leaves
every other shape, and any union it does not recognise, to botocore: the result is the same.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.parsers import JSONParser, ResponseParserFactory

ATTRIBUTE_VALUE = "AttributeValue"  # the union's shape name in DynamoDB's and DynamoDB Streams' models
_AS_SENT = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})  # strings, booleans, lists of strings


class DynamoDBJSONParser(JSONParser):
    def _parse_shape(self, shape: Any, node: Any) -> Any:
        if shape.name == ATTRIBUTE_VALUE:
            value = self._attribute_value(shape, node)
        elif shape.type_name == "map" and shape.value.name == ATTRIBUTE_VALUE and isinstance(node, dict):
            value_shape = shape.value
            return {key: self._parse_shape(value_shape, item) for key, item in node.items()}
        else:
            value = None
        return super()._parse_shape(shape, node) if value is None else value

    def _attribute_value(self, shape: Any, node: Any) -> dict[str, Any] | None:
        """The parsed union, or None where botocore must decide (nulls, several or unknown members)."""
        if not isinstance(node, dict) or len(node) != 1:
            return None
        ((kind, value),) = node.items()
        if value is None:
            return None
        if kind in _AS_SENT:
            return {kind: value}
        if kind == "M" and isinstance(value, dict):
            return {"M": {key: self._parse_shape(shape, item) for key, item in value.items()}}
        if kind == "L" and isinstance(value, list):
            return {"L": [None if item is None else self._parse_shape(shape, item) for item in value]}
        if kind == "B":
            return {"B": self._blob_parser(value)}
        if kind == "BS" and isinstance(value, list):
            return {"BS": [None if item is None else self._blob_parser(item) for item in value]}
        return None


class ParserFactory(ResponseParserFactory):
    """botocore's parser factory, with `DynamoDBJSONParser` for the JSON protocol (DynamoDB's, and
    the other JSON services', whose shapes it leaves to botocore)."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return DynamoDBJSONParser(**self._defaults)
        return super().create_parser(protocol_name)


def session() -> boto3.Session:
    """A boto3 session whose clients read DynamoDB's answers with `ParserFactory`."""
    core = botocore.session.get_session()
    core.register_component("response_parser_factory", ParserFactory())
    return boto3.Session(botocore_session=core)
