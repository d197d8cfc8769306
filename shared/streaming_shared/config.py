"""Typed, validated stack configuration: one pydantic model per layer.

Every config key of a layer is a field of its settings model, with its default and a one-line
description next to it; each layer README's config table is generated from these models
(`settings_table`). `load()` reads the layer's Pulumi config namespace, rejects unknown keys
(a typo is an error, not a silently ignored setting) and reports every bad value with its key,
its value and what is allowed, before the program registers a single resource.
"""

from __future__ import annotations

import ipaddress
import json
import re
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import annotated_types
import pulumi
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .catalogue import DEFAULT_EMULATOR_ENDPOINT, DEFAULT_ORG, LOCAL_STACK, Layer
from .errors import ConfigError, Problem

REGION_KEY = "aws:region"
STACK_KEY = "stack name"

MAX_ENVIRONMENT_LENGTH = 16
_ENVIRONMENT_PATTERN = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,15}$")
_REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_ORG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_RESERVED_TAGS = ("Environment", "Project", "ManagedBy", "Layer")

DISPOSABLE_ENVIRONMENTS = ("local", "dev", "test", "ci", "sandbox")
"""Stacks named like these (or `<one of these>-<anything>`, such as `dev-alice`) hold nothing that
must survive a `pulumi destroy`, and nothing a reviewer must be able to reconstruct later: the data
layer leaves their data unprotected, the compute layer may log record contents there, their roles
get no permissions boundary unless configured, and the guardrails ask less of their logs. Every
other stack (`staging`, `prod`) is treated as holding real data."""

DISPOSABLE_RULE = (
    f"stacks named {', '.join(f'`{name}`' for name in DISPOSABLE_ENVIRONMENTS)} "
    "or starting with one of those and a hyphen (`dev-alice`)"
)
"""The rule in words, for config key descriptions."""


def is_disposable(environment: str) -> bool:
    """Whether a stack is local or dev-like (see DISPOSABLE_ENVIRONMENTS)."""
    return any(environment == name or environment.startswith(f"{name}-") for name in DISPOSABLE_ENVIRONMENTS)


@dataclass(frozen=True)
class Environment:
    """Where a layer deploys: the stack name (the environment) and its AWS region."""

    name: str
    region: str
    layer: Layer

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL_STACK

    @property
    def is_disposable(self) -> bool:
        return is_disposable(self.name)


def check_environment_name(name: str) -> Problem | None:
    """The stack name ends up in every physical name, so it must be safe in all of them."""
    if _ENVIRONMENT_PATTERN.match(name):
        return None
    return Problem(
        STACK_KEY,
        name,
        f"must be 1-{MAX_ENVIRONMENT_LENGTH} characters of lowercase letters, digits and single "
        "hyphens, starting with a letter and not ending with a hyphen (it becomes part of "
        "S3 bucket, Lambda and IAM names), for example `dev` or `prod-eu`",
    )


def check_region(region: str | None) -> Problem | None:
    if not region:
        return Problem(REGION_KEY, None, "is required; set it with `pulumi config set aws:region <region>`")
    if _REGION_PATTERN.match(region):
        return None
    return Problem(
        REGION_KEY,
        region,
        "is not an AWS region name (`<area>-<direction>-<number>`, as `aws ec2 describe-regions` lists them)",
    )


class LayerSettings(BaseModel):
    """Keys every layer accepts. A layer subclasses this and sets `LAYER`."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    LAYER: ClassVar[Layer]
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()
    """Fields whose value must be a Pulumi secret (`pulumi config set --secret`): a config error
    names such a key but never prints its value. Each declares `examples=[...]`: the offline plan,
    which cannot decrypt a stack's secrets, gives the program the first example instead."""

    org: str | None = Field(
        None,
        description="Pulumi organization of the upstream stacks, as in `<org>/<project>/<stack>`. "
        "Unset: the organization of the running stack (`pulumi.get_organization()`; "
        "`organization` on a self-managed backend). Set it only to read stacks of another organization.",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags for every resource, added to Environment, Project, ManagedBy "
        "and Layer (which they may not override).",
    )
    emulator_endpoint: str | None = Field(
        None,
        description="URL of an AWS API emulator (moto server, LocalStack). Set means every AWS "
        f"call of this stack goes there. Stack `{LOCAL_STACK}` defaults to "
        f"`{DEFAULT_EMULATOR_ENDPOINT}`; other stacks default to real AWS.",
    )

    STACK_DEFAULTS: ClassVar[dict[str, str]] = {"emulator_endpoint": "emulator"}
    """Fields whose default depends on the stack (disposable or not, local or not), each with the
    property that gives the value the program uses. A layer adds its own to its parent's."""

    _environment: Environment | None = PrivateAttr(None)

    @field_validator("org")
    @classmethod
    def _org_is_a_pulumi_org_name(cls, value: str | None) -> str | None:
        if value is not None and not _ORG_PATTERN.match(value):
            raise ValueError("must be a Pulumi organization name: letters, digits, `-`, `_`, `.`")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_valid_aws_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if key in _RESERVED_TAGS:
                raise ValueError(
                    f"tag {key!r} is set by the project; the reserved tags are {', '.join(_RESERVED_TAGS)}"
                )
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag {key!r}: keys starting with `aws:` are reserved by AWS")
            if not 1 <= len(key) <= 128 or len(value) > 256:
                raise ValueError(f"tag {key!r}: keys are 1-128 characters, values at most 256")
        return tags

    @field_validator("emulator_endpoint")
    @classmethod
    def _endpoint_is_an_http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[A-Za-z0-9.\-\[\]:]+(?::\d+)?/?$", value):
            raise ValueError("must be an http(s) URL with host and port, such as http://127.0.0.1:4566")
        return value.rstrip("/") if value else value

    @property
    def environment(self) -> Environment:
        if self._environment is None:
            raise RuntimeError("settings were not loaded for a stack; use load() or from_values()")
        return self._environment

    @property
    def upstream_org(self) -> str:
        """The organization the upstream stacks are read from: `org`, else the running stack's."""
        return self.org or pulumi.get_organization() or DEFAULT_ORG

    @property
    def emulator(self) -> str | None:
        """The emulator URL this stack talks to, or None for real AWS."""
        if self.emulator_endpoint:
            return self.emulator_endpoint
        return DEFAULT_EMULATOR_ENDPOINT if self.environment.is_local else None

    def effective_values(self) -> dict[str, Any]:
        """Every key (camelCase, as in the stack file) with the value the program uses: the stack
        file's, else the field's default, resolved for this stack where it depends on the stack."""
        values = self.model_dump(mode="json", by_alias=True)
        for name, resolved_by in self.STACK_DEFAULTS.items():
            values[type(self).model_fields[name].alias or name] = getattr(self, resolved_by)
        return values

    def check(self) -> list[Problem]:
        """Cross-field checks of a layer, run after each field is valid. Override to add some."""
        return []

    @classmethod
    def load(cls) -> Self:
        """Settings of the running Pulumi program: its stack, `aws:region` and config namespace."""
        namespace = cls.LAYER.project
        keys = _namespace_keys(namespace)
        values = {key: pulumi.runtime.get_config(f"{namespace}:{key}") for key in keys}
        secret = {key for key in keys if pulumi.runtime.is_config_secret(f"{namespace}:{key}")}
        return cls.from_values(
            values, stack=pulumi.get_stack(), region=pulumi.runtime.get_config(REGION_KEY), secret_keys=secret
        )

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], *, stack: str, region: str | None, secret_keys: Collection[str] = ()
    ) -> Self:
        """Validate raw config values (strings, as Pulumi stores them, or already typed).

        `secret_keys` are the keys (without the namespace) the stack stores encrypted. A field in
        SECRET_FIELDS must be one of them, and no problem with a secret key ever shows its value.
        """
        try:
            return cls._validated(values, stack=stack, region=region, secret_keys=secret_keys)
        except ConfigError as error:
            hidden = {f"{cls.LAYER.project}:{key}" for key in (*secret_keys, *cls._secret_aliases())}
            raise ConfigError([_without_secret_value(problem, hidden) for problem in error.problems]) from None

    @classmethod
    def _secret_aliases(cls) -> list[str]:
        return [cls.model_fields[name].alias or name for name in cls.SECRET_FIELDS]

    @classmethod
    def _validated(
        cls, values: Mapping[str, Any], *, stack: str, region: str | None, secret_keys: Collection[str]
    ) -> Self:
        namespace = cls.LAYER.project
        problems = [p for p in (check_environment_name(stack), check_region(region)) if p]
        known = {field.alias or name: (name, field) for name, field in cls.model_fields.items()}
        parsed: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                problems.append(
                    Problem(
                        f"{namespace}:{key}",
                        raw,
                        f"is not a setting of {namespace}; its settings are: {', '.join(sorted(known))}",
                    )
                )
                continue
            parsed[key] = _decode(raw, known[key][1])
        problems += [
            Problem(
                f"{namespace}:{key}",
                None,
                f"must be stored encrypted, not in plain text: set it with `pulumi config set --secret {key} <value>`",
            )
            for key in cls._secret_aliases()
            if values.get(key) is not None and key not in secret_keys
        ]
        settings = None
        try:
            settings = cls.model_validate(parsed)
        except ValidationError as error:
            problems.extend(_problems_from(error, namespace, parsed))
        if settings is not None and not problems:
            settings._environment = Environment(name=stack, region=typing.cast(str, region), layer=cls.LAYER)
            problems.extend(settings.check())
        if problems:
            raise ConfigError(problems)
        assert settings is not None
        return settings

    def key(self, field_name: str) -> str:
        """The full config key (`<project>:<camelKey>`) of a field, for error messages."""
        field = type(self).model_fields[field_name]
        return f"{self.LAYER.project}:{field.alias or field_name}"

    def problem(self, field_name: str, reason: str) -> Problem:
        return Problem(self.key(field_name), getattr(self, field_name), reason)


def _without_secret_value(problem: Problem, secret_keys: Collection[str]) -> Problem:
    """The problem without its value when it is about a secret key (or a part of one)."""
    if problem.key.split("[", 1)[0] in secret_keys:
        return Problem(problem.key, None, problem.reason)
    return problem


def _namespace_keys(namespace: str) -> list[str]:
    prefix = f"{namespace}:"
    # `CONFIG` is private, and read in this module only: `pulumi.Config` answers for a key it is
    # given but cannot list the keys set, which a misspelt key must be found among.
    keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())
    return sorted(key[len(prefix) :] for key in keys if key.startswith(prefix))


def _expects_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_expects_text(arg) for arg in args if arg is not type(None))
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(arg, str) for arg in args)
    return False


def _decode(raw: Any, field: FieldInfo) -> Any:
    """Pulumi hands config over as strings; structured and numeric values are JSON."""
    if not isinstance(raw, str) or _expects_text(field.annotation):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _problems_from(error: ValidationError, namespace: str, values: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else ""
        path = "".join(f"[{part!r}]" if isinstance(part, str) else f"[{part}]" for part in item["loc"][1:])
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            problems.append(Problem(f"{namespace}:{key}", None, "is required"))
        else:
            problems.append(Problem(f"{namespace}:{key}{path}", values.get(key, item.get("input")), reason))
    return problems


# ---------------------------------------------------------------------------------------------
# Reusable checks for layer settings

LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`)."""
LogRetention = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


def log_retention(value: Any) -> Any:
    """A `mode="before"` check of a log retention key: one of the periods CloudWatch Logs accepts."""
    if value not in LOG_RETENTION_DAYS or isinstance(value, bool):
        raise ValueError(
            f"is not a retention CloudWatch Logs accepts; use one of {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return value


def private_ipv4_network(value: str) -> ipaddress.IPv4Network:
    """Parse a CIDR block that must be IPv4 and inside RFC 1918 private space."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"is not an IPv4 CIDR block such as 10.20.0.0/16 ({error})") from None
    private_ranges = [ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    if not any(network.subnet_of(block) for block in private_ranges):
        raise ValueError("is not an RFC 1918 private network (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
    return network


# ---------------------------------------------------------------------------------------------
# Documentation: the layer READMEs' config tables are generated from the models, so they cannot drift.


def _describe_type(annotation: Any, field: FieldInfo) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        return (
            _describe_type(inner[0], field) if len(inner) == 1 else " or ".join(_describe_type(a, field) for a in inner)
        )
    if origin is Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if origin in (list, tuple):
        return f"list of {_describe_type(args[0], FieldInfo())}s" if args else "list"
    if origin is dict:
        return "map of integers" if len(args) == 2 and args[1] is int else "map of strings"
    if annotation is bool:
        return "boolean"
    if annotation in (int, float):
        low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
        name = "integer" if annotation is int else "number"
        if low is not None and high is not None:
            return f"{name} {low}..{high}"
        if low is not None:
            return f"{name} >= {low}"
        return name
    if annotation is str:
        return "string"
    return getattr(annotation, "__name__", str(annotation))


def _describe_default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        default = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        default = field.default
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, (list, tuple, dict)):
        return f"`{json.dumps(default)}`" if default else ("`[]`" if not isinstance(default, dict) else "`{}`")
    return f"`{default}`"


def settings_table(model: type[LayerSettings], *, include_common: bool = False) -> str:
    """A Markdown table of a layer's config keys: key, type and allowed values, default, meaning."""
    rows = ["| key | allowed values | default | what it does |", "| --- | --- | --- | --- |"]
    common = set(LayerSettings.model_fields)
    for name, field in model.model_fields.items():
        if name in common and not include_common:
            continue
        key = f"`{model.LAYER.project if model is not LayerSettings else '<project>'}:{field.alias or name}`"
        description = (field.description or "").replace("|", "\\|")
        # A structured key whose type the generic description cannot say well (a map of nested
        # settings, say) gives its own cells: Field(json_schema_extra={"allowed": ..., "default": ...}).
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        allowed = str(extra.get("allowed") or _describe_type(field.annotation, field))
        default = str(extra.get("default") or _describe_default(field))
        rows.append(f"| {key} | {allowed} | {default} | {description} |")
    return "\n".join(rows)
