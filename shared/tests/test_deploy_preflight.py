"""Before compute's first `up`, the account's Lambda concurrency against the stack's plan.

The deploy command runs as the nox session runs it, with only the Automation gateway replaced;
the AWS side is moto server. moto does not implement Lambda's GetAccountSettings (it answers 404
"Not yet implemented"), so that one call is answered where botocore would send it
(`before-send`), with the API's documented answer: botocore still builds, signs and parses it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto.server import ThreadedMotoServer

from streaming_tooling.deploy import preflight
from streaming_tooling.deploy.plan import build_plan

from .test_deploy_orchestration import RecordingGateway, run_cli

DEPLOYED_COMPUTE = {"compute": {"function_names": {"ingest": "streaming-dev-ingest"}}}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The standard credential chain and endpoint pointed at moto, and a fresh default boto3 session."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield


class AccountSettings:
    """Lambda's answer to GetAccountSettings for an account with `total` concurrent executions."""

    def __init__(self, total: int, unreserved: int | None = None) -> None:
        self.total = total
        self.unreserved = total if unreserved is None else unreserved
        self.calls = 0
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-send.lambda.GetAccountSettings", self.answer)  # type: ignore[union-attr]

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        self.calls += 1
        body = {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": self.total,
                "UnreservedConcurrentExecutions": self.unreserved,
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
        }
        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, _Body(json.dumps(body).encode()))


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content

    def read(self) -> bytes:
        return self.content


def test_a_first_deploy_that_needs_more_concurrency_than_the_account_has_is_refused_before_anything_runs(aws):
    account = AccountSettings(total=10)
    gateway = RecordingGateway(outputs={})
    code, text = run_cli(["deploy-all", "--stack", "dev"], gateway)
    assert code == 1
    assert account.calls == 1
    assert gateway.calls == []
    assert text == (
        "Not deploying stack 'dev': the account's Lambda concurrency in eu-west-1 is 10 (10 unreserved), but it "
        "needs 20 at once from the unreserved pool (1 shard(s) x parallelization factor 10 x 2 (ingest and the "
        "step its execution runs)) beside 0 reserved; ask AWS for more (Service Quotas, AWS Lambda, Concurrent "
        "executions) or lower streaming-compute:parallelizationFactor or reservedConcurrency in the stack file."
    )


def test_a_first_deploy_that_fits_goes_on(aws):
    account = AccountSettings(total=1000)
    gateway = RecordingGateway(outputs={"network": {"vpc_id": "vpc-1"}, "data": {"stream_name": "s"}})
    code, _ = run_cli(["deploy", "compute", "--stack", "dev"], gateway)
    assert (code, account.calls) == (0, 1)
    assert gateway.layers("up") == ["compute"]


def test_once_compute_is_deployed_the_account_is_not_asked_again(aws):
    account = AccountSettings(total=10)
    code, _ = run_cli(["deploy-all", "--stack", "dev"], RecordingGateway(outputs=DEPLOYED_COMPUTE))
    assert (code, account.calls) == (0, 0)


def test_deploying_only_another_layer_does_not_ask(aws):
    account = AccountSettings(total=10)
    code, _ = run_cli(["deploy", "network", "--stack", "dev"], RecordingGateway(outputs={}))
    assert (code, account.calls) == (0, 0)


def test_when_the_account_cannot_be_read_the_deploy_says_so_and_goes_on(aws):
    """moto itself answers GetAccountSettings with 404 Not yet implemented: an answer the preflight cannot use."""
    gateway = RecordingGateway(outputs={})
    code, text = run_cli(["deploy-all", "--stack", "dev"], gateway)
    assert code == 0
    assert "Preflight: the account's Lambda concurrency in eu-west-1 could not be read" in text
    assert "lambda:GetAccountSettings" in text
    assert len(gateway.layers("up")) == 4


@pytest.fixture(scope="module")
def reserving_plan():
    return build_plan("dev", config_overrides={"compute": {"reservedConcurrency": {"ingest": 40}}})


def test_reserved_concurrency_counts_for_itself_and_only_the_steps_draw_on_the_pool(reserving_plan):
    need = preflight.need_of(reserving_plan.runs)
    assert (need.reserved, need.unreserved) == (40, 10)


def test_reservations_must_leave_lambdas_hundred_unreserved(reserving_plan):
    need = preflight.need_of(reserving_plan.runs)
    settings = {"AccountLimit": {"ConcurrentExecutions": 130, "UnreservedConcurrentExecutions": 130}}
    problem = preflight.refusal("dev", "eu-west-1", need, settings)
    assert problem is not None and "its functions reserve 40 and Lambda keeps 100 unreserved" in problem
    settings["AccountLimit"].update(ConcurrentExecutions=150, UnreservedConcurrentExecutions=150)
    assert preflight.refusal("dev", "eu-west-1", need, settings) is None
