"""Reads `template.yaml`: the functions, their routes and event sources, the table and queues.

The local stack and the tests build everything from here, so the template stays the one
description of the system (no second hand-written copy of the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class TemplateError(Exception):
    """The template cannot be read or lacks something the local stack needs."""


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class Route:
    api: str  # logical ID of the HttpApi
    method: str  # GET, POST, … or ANY
    path: str  # /v1/customers/{id}, /{proxy+}


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str  # module.function, e.g. app.handler
    environment: dict[str, Any]
    routes: list[Route] = field(default_factory=list)
    stream_sources: list[dict[str, Any]] = field(default_factory=list)
    queue_sources: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """`ApiFunction` → `api`."""
        return self.logical_id.removesuffix("Function").lower()


@dataclass(frozen=True)
class Template:
    raw: dict[str, Any]
    path: Path

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.raw.get("Resources", {}))

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == kind}

    def table(self) -> tuple[str, dict[str, Any]]:
        tables = self.of_type("AWS::DynamoDB::Table")
        if len(tables) != 1:
            raise TemplateError(f"expected exactly one AWS::DynamoDB::Table, found {len(tables)}")
        logical_id, resource = next(iter(tables.items()))
        return logical_id, dict(resource.get("Properties", {}))

    def queues(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v.get("Properties", {})) for k, v in self.of_type("AWS::SQS::Queue").items()}

    def http_apis(self) -> list[str]:
        return list(self.of_type("AWS::Serverless::HttpApi"))

    def global_environment(self) -> dict[str, Any]:
        env = self.raw.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        return dict(env)

    def functions(self) -> list[Function]:
        found = []
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource.get("Properties", {})
            code_uri = props.get("CodeUri")
            handler = props.get("Handler")
            if not isinstance(code_uri, str) or not isinstance(handler, str):
                raise TemplateError(f"{logical_id}: CodeUri and Handler must be plain strings")
            env = dict(self.global_environment())
            env.update(props.get("Environment", {}).get("Variables", {}))
            function = Function(
                logical_id=logical_id,
                code_dir=(self.path.parent / code_uri).resolve(),
                handler=handler,
                environment=env,
            )
            for event_id, event in (props.get("Events") or {}).items():
                kind, eprops = event.get("Type"), event.get("Properties", {})
                if kind == "HttpApi":
                    api = eprops.get("ApiId", {}).get("Ref") if isinstance(eprops.get("ApiId"), dict) else None
                    if not api or "Method" not in eprops or "Path" not in eprops:
                        raise TemplateError(f"{logical_id}.{event_id}: HttpApi events need ApiId (!Ref), Method, Path")
                    function.routes.append(Route(api=api, method=str(eprops["Method"]).upper(), path=eprops["Path"]))
                elif kind == "DynamoDB":
                    function.stream_sources.append(dict(eprops))
                elif kind == "SQS":
                    function.queue_sources.append(dict(eprops))
                elif kind == "Schedule":
                    function.schedules.append(dict(eprops))
            found.append(function)
        return found

    def function(self, name: str) -> Function:
        for function in self.functions():
            if function.name == name:
                return function
        raise TemplateError(f"no function named {name!r} in the template")


def load(path: Path = TEMPLATE_PATH) -> Template:
    try:
        raw = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError as error:
        raise TemplateError(f"{path} not found") from error
    except yaml.YAMLError as error:
        raise TemplateError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict) or "Resources" not in raw:
        raise TemplateError(f"{path} has no Resources section")
    return Template(raw=raw, path=path)


def rate_seconds(expression: str) -> float:
    """`rate(5 minutes)` → 300.0 (the schedule expressions the template uses)."""
    text = expression.strip()
    if not (text.startswith("rate(") and text.endswith(")")):
        raise TemplateError(f"only rate(...) schedules run locally, not {expression!r}")
    amount, unit = text[5:-1].split()
    per = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
    if unit not in per:
        raise TemplateError(f"unknown rate unit in {expression!r}")
    return float(amount) * per[unit]
