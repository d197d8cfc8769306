"""The cloud side of Pulumi's mock engine: ids, ARNs and invoke results shaped like AWS's, offline.

Resources get the computed outputs real programs read (`arn`, `id`, autonamed `name`, an SQS
`url`, a gateway endpoint's `prefixListId`...), in the region of the provider they were
registered with, so a wrong region or a missing dependency shows up in the values. An invoke
it has no answer for is an error, never an empty answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from .. import aws_types

ACCOUNT_ID = "123456789012"
DEFAULT_ZONE_COUNT = 3


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha1(":".join(parts).encode()).hexdigest()[:length]


_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/flowLog:FlowLog": "fl",
}

# ARN of a resource from (region, physical name, id). Types not listed get a generic ARN.
_ARNS: dict[str, Callable[[str, str, str], str]] = {
    "aws:s3/bucket:Bucket": lambda region, name, id_: f"arn:aws:s3:::{name}",
    "aws:lambda/function:Function": lambda r, n, i: f"arn:aws:lambda:{r}:{ACCOUNT_ID}:function:{n}",
    "aws:lambda/layerVersion:LayerVersion": lambda r, n, i: f"arn:aws:lambda:{r}:{ACCOUNT_ID}:layer:{n}:1",
    "aws:sqs/queue:Queue": lambda r, n, i: f"arn:aws:sqs:{r}:{ACCOUNT_ID}:{n}",
    "aws:sns/topic:Topic": lambda r, n, i: f"arn:aws:sns:{r}:{ACCOUNT_ID}:{n}",
    "aws:iam/role:Role": lambda r, n, i: f"arn:aws:iam::{ACCOUNT_ID}:role/{n}",
    "aws:iam/policy:Policy": lambda r, n, i: f"arn:aws:iam::{ACCOUNT_ID}:policy/{n}",
    "aws:kinesis/stream:Stream": lambda r, n, i: f"arn:aws:kinesis:{r}:{ACCOUNT_ID}:stream/{n}",
    "aws:dynamodb/table:Table": lambda r, n, i: f"arn:aws:dynamodb:{r}:{ACCOUNT_ID}:table/{n}",
    "aws:sfn/stateMachine:StateMachine": lambda r, n, i: f"arn:aws:states:{r}:{ACCOUNT_ID}:stateMachine:{n}",
    "aws:cloudwatch/logGroup:LogGroup": lambda r, n, i: f"arn:aws:logs:{r}:{ACCOUNT_ID}:log-group:{n}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda r, n, i: f"arn:aws:cloudwatch:{r}:{ACCOUNT_ID}:alarm:{n}",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": lambda r, n, i: f"arn:aws:cloudwatch:{r}:{ACCOUNT_ID}:alarm:{n}",
    "aws:cloudwatch/dashboard:Dashboard": lambda r, n, i: f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{n}",
    "aws:kms/key:Key": lambda r, n, i: f"arn:aws:kms:{r}:{ACCOUNT_ID}:key/{i}",
    "aws:kms/alias:Alias": lambda r, n, i: f"arn:aws:kms:{r}:{ACCOUNT_ID}:{n}",
}

# The output holding a resource's physical name, where it is not `name`.
_NAME_OUTPUTS = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:lambda/layerVersion:LayerVersion": "layerName",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
}


class OfflineCloud(pulumi.runtime.Mocks):
    """Answers the mock engine's resource and invoke calls as AWS would, offline."""

    def __init__(
        self,
        *,
        region: str,
        stack_outputs: Mapping[str, Mapping[str, Any]],
        availability_zones: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.region = region
        self.stack_outputs = stack_outputs
        self.availability_zones = dict(availability_zones or {})
        self.provider_regions: dict[str, str] = {}
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    # -- resources -----------------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            stack = args.inputs.get("name") or args.name
            return stack, {
                "name": stack,
                "outputs": dict(self.stack_outputs.get(stack, {})),
                "secretOutputNames": [],
            }
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-{_digest(args.typ, args.name, length=8)}"
            self.provider_regions[provider_id] = args.inputs.get("region") or self.region
            return provider_id, dict(args.inputs)
        if not args.custom:
            return None, dict(args.inputs)
        return self._custom_resource(args)

    def region_of(self, provider_reference: str | None) -> str:
        provider_id = (provider_reference or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, self.region)

    def _custom_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region = args.inputs.get("region") or self.region_of(args.provider)
        outputs = dict(args.inputs)
        name_output = _NAME_OUTPUTS.get(args.typ, "name")
        physical_name = outputs.get(name_output)
        if physical_name is None and self._has_output(args.typ, name_output):
            prefix = outputs.get(f"{name_output}Prefix") or f"{args.name}-"
            physical_name = f"{prefix}{_digest(args.typ, args.name, length=7)}"
            outputs[name_output] = physical_name
        digest = _digest(args.typ, args.name)
        prefix = _ID_PREFIXES.get(args.typ)
        resource_id = f"{prefix}-{digest}" if prefix else (physical_name or f"{args.name}-{digest[:7]}")
        if args.typ == "aws:kms/key:Key":
            resource_id = f"{digest[:8]}-{digest[8:12]}-4{digest[12:15]}-8{digest[:3]}-{digest[3:15]}"
        arn = _ARNS.get(args.typ)
        module = args.typ.split(":")[1].split("/")[0]
        kind = args.typ.rsplit(":", 1)[-1].lower()
        outputs.setdefault(
            "arn",
            arn(region, physical_name or resource_id, resource_id)
            if arn
            else f"arn:aws:{module}:{region}:{ACCOUNT_ID}:{kind}/{physical_name or resource_id}",
        )
        outputs.update(self._computed_outputs(args.typ, region, physical_name, resource_id, outputs))
        return resource_id, outputs

    @staticmethod
    def _has_output(type_token: str, output: str) -> bool:
        cls = aws_types.resource_class(type_token)
        return cls is not None and output in aws_types.wire_properties(cls)

    @staticmethod
    def _computed_outputs(
        type_token: str, region: str, name: str | None, resource_id: str, outputs: dict[str, Any]
    ) -> dict[str, Any]:
        if type_token == "aws:lambda/function:Function":
            arn = outputs["arn"]
            return {
                "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
                "qualifiedArn": f"{arn}:1",
                "version": "1",
            }
        if type_token == "aws:sqs/queue:Queue":
            return {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}"}
        if type_token == "aws:ec2/vpcEndpoint:VpcEndpoint" and outputs.get("vpcEndpointType") == "Gateway":
            return {"prefixListId": f"pl-{_digest(outputs.get('serviceName', ''))[:8]}"}
        if type_token == "aws:s3/bucket:Bucket":
            return {
                "bucketDomainName": f"{name}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "region": region,
            }
        if type_token == "aws:lambda/eventSourceMapping:EventSourceMapping":
            return {"uuid": resource_id}
        if type_token == "aws:kms/key:Key":
            return {"keyId": resource_id}
        if type_token == "aws:cloudwatch/dashboard:Dashboard":
            return {"dashboardArn": outputs["arn"]}
        if type_token == "aws:lambda/layerVersion:LayerVersion":
            return {"layerArn": outputs["arn"].rsplit(":", 1)[0], "version": "1"}
        if type_token == "aws:iam/role:Role":
            return {"uniqueId": f"AROA{resource_id.upper()[:17]}"}
        return {}

    # -- invokes -------------------------------------------------------------------------------

    def zones(self, region: str) -> list[str]:
        return self.availability_zones.get(region, [f"{region}{letter}" for letter in "abcdef"[:DEFAULT_ZONE_COUNT]])

    def _endpoint_service(self, region: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """An AWS endpoint service, offered in every zone of the region unless `availability_zones`
        names the zones of its full service name (`com.amazonaws.<region>.<service>`)."""
        name = args.get("serviceName") or f"com.amazonaws.{region}.{args['service']}"
        short = name.removeprefix(f"com.amazonaws.{region}.")
        return {
            "id": name,
            "serviceName": name,
            "serviceType": args.get("serviceType") or "Interface",
            "serviceId": f"vpce-svc-{_digest(name)}",
            "availabilityZones": self.availability_zones.get(name, self.zones(region)),
            "owner": "amazon",
            "acceptanceRequired": False,
            "managesVpcEndpoints": False,
            "vpcEndpointPolicySupported": True,
            "privateDnsName": f"{short}.{region}.amazonaws.com",
            "privateDnsNames": [f"{short}.{region}.amazonaws.com"],
            "baseEndpointDnsNames": [f"{short}.{region}.vpce.amazonaws.com"],
            "supportedIpAddressTypes": ["ipv4"],
            "region": region,
            "tags": {},
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.invokes.append((args.token, dict(args.args)))
        region = self.region_of(args.provider)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = self.zones(region)
            return {
                "id": region,
                "names": names,
                "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i + 1}" for i in range(len(names))],
                "groupNames": [region] * len(names),
                "state": args.args.get("state"),
            }
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "AIDATESTUSER",
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if args.token == "aws:ec2/getVpcEndpointService:getVpcEndpointService":
            return self._endpoint_service(region, args.args)
        if args.token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
        raise NotImplementedError(
            f"the offline plan has no answer for invoke {args.token}; "
            "add one to shared/tooling/streaming_tooling/offline/cloud.py"
        )
