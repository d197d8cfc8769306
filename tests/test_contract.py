"""The contract across deployed versions: `contract_reads`, the deploy guard, `nox -s contract-check`.

The deployed stacks are stood in for at the Automation API boundary only (`Gateway`); the new
program's exports come from the real offline plan; git operations are real.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import COMPUTE, DATA, LAYERS, NETWORK, OBSERVABILITY, Layer, Shape
from streaming_shared.upstream import Read, export_contract, reads_of
from streaming_tooling.deploy import cli, contract
from streaming_tooling.deploy.contract import DeployGuard, contract_check, grouped, planned_exports
from streaming_tooling.deploy.orchestrator import DeployError, Operation, Outcome, run_layers
from streaming_tooling.deploy.plan import PlanFailed, build_plan
from streaming_tooling.deploy.tree_plan import CannotPlan, TreePlan, commit_tree, plan_tree
from streaming_tooling.deploy.versions import StackVersion, Update, Version, stack_version
from streaming_tooling.testing import repo_root
from streaming_tooling.testing.git_repository import BASE_TAG, append, commit_all, edit

STACK = "dev"
CODE = "\nCHANGED = True\n"
"""A line of code appended to a Python file: a change its program would run."""
BY_STAGE = Shape.BY_STAGE.value


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, Any]]:
    """Each layer's exports from the real offline plan: what the deployed stacks would hold."""
    plan = build_plan(STACK)
    assert plan.problems == []
    return {name: dict(run.exports) for name, run in plan.runs.items()}


class DeployedStacks:
    """Stands in for the Automation API: the deployed stacks' outputs, what each stack's program read
    from its upstream stacks at its last update (its state's StackReferences), and each stack's
    update history. An `up` of a layer replaces its outputs with those in `after_up` (unless it is
    `failing`), holds what it read then, and records the version in the history, as Pulumi does."""

    def __init__(
        self,
        deployed: Mapping[str, Mapping[str, Any]],
        after_up: Mapping[str, Mapping[str, Any]] = {},
        *,
        history: Mapping[str, list[Update]] | None = None,
        failing: tuple[str, ...] = (),
    ):
        self.stacks = {name: dict(outputs) for name, outputs in deployed.items()}
        self.after_up = after_up
        self.held = {name: self.upstream_now(LAYERS[name]) for name in self.stacks}
        self.history = {name: list(updates) for name, updates in (history or {}).items()}
        self.failing = failing
        self.calls: list[tuple[str, str]] = []

    def upstream_now(self, layer: Layer) -> dict[str, dict[str, Any]]:
        return {LAYERS[name].project: dict(self.stacks.get(name, {})) for name in layer.upstream}

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        return self.stacks.get(layer.name)

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        return self.held.get(layer.name, {})

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        return stack_version(self.history.get(layer.name, []))

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        self.calls.append((operation.value, layer.name))
        if operation is not Operation.UP:
            return Outcome(changes={"update": 1})
        updates = self.history.setdefault(layer.name, [])
        started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=sum(map(len, self.history.values())))
        message = version.message() if version else ""
        if layer.name in self.failing:
            updates.append(Update("update", "failed", message, started))
            raise RuntimeError(f"error: {layer.name} failed halfway")
        if layer.name in self.after_up:
            self.stacks[layer.name] = dict(self.after_up[layer.name])
        self.held[layer.name] = self.upstream_now(layer)
        updates.append(Update("update", "succeeded", message, started, started + timedelta(minutes=1)))
        return Outcome(changes={"update": 1})


def guard(gateway: DeployedStacks, planned: Mapping[str, Any], **options: Any) -> DeployGuard:
    """A guard whose plan of a layer is `planned[layer]` (what the new program would export)."""
    return DeployGuard(gateway, STACK, plan=lambda item, stack, upstream: planned[item.name], **options)


def reads(**names: Read) -> dict[str, dict[str, object]]:
    return {name: read.as_export() for name, read in names.items()}


def without(exports: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in exports.items() if key != name}


# -- contract_reads ------------------------------------------------------------------------------


def test_observability_exports_what_it_reads_from_each_upstream_project_with_the_shapes(planned):
    string = {"shape": "string", "optional": False}
    assert planned["observability"]["contract_reads"] == {
        "streaming-data": {"region": string, "stream_name": string, "table_name": string},
        "streaming-compute": {
            "region": string,
            "function_names": {"shape": BY_STAGE, "optional": False},
            "state_machine_arn": string,
            "dead_letter_queue_arn": string,
            "dead_letter_queue_url": string,
        },
    }


def test_compute_lists_the_key_arns_it_reads_optionally(planned):
    reads = planned["compute"]["contract_reads"]["streaming-data"]
    assert reads["stream_kms_key_arn"] == reads["archive_kms_key_arn"] == {"shape": "string", "optional": True}
    assert reads["stream_name"] == {"shape": "string", "optional": False}


def test_every_layers_contract_reads_is_its_catalogue_reads_required_and_optional(planned):
    for name, item in LAYERS.items():
        expected: dict[str, dict[str, tuple[str, bool]]] = {}
        for upstream, keys in item.reads.items():
            exports, optional = LAYERS[upstream].exports, LAYERS[upstream].optional_exports
            expected[LAYERS[upstream].project] = {key: (exports[key].value, False) for key in keys} | {
                key: (optional[key].value, True) for key in item.optional_reads.get(upstream, ())
            }
        exported = planned[name]["contract_reads"]
        assert {
            project: {key: (read["shape"], read["optional"]) for key, read in reads.items()}
            for project, reads in exported.items()
        } == expected, name


def test_a_program_cannot_export_its_own_contract_reads():
    outputs = dict.fromkeys(NETWORK.exports, "x") | {"contract_reads": {}}
    with pytest.raises(ValueError, match="may not export 'contract_reads' itself"):
        export_contract(NETWORK, outputs)


# -- the guard before `up` -------------------------------------------------------------------------


def test_a_reshaped_export_a_deployed_reader_reads_is_refused(planned):
    new_compute = {**planned["compute"], "function_names": list(planned["compute"]["function_names"].values())}
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    with pytest.raises(DeployError) as refused:
        guard(deployed, {**planned, "compute": new_compute}).check([COMPUTE])
    assert str(refused.value).splitlines()[0] == (
        "refusing to deploy: stack 'dev' of streaming-observability reads 'function_names' from "
        f"streaming-compute, which changes shape from {BY_STAGE} to list by the new version"
    )


def test_a_map_losing_a_key_a_deployed_reader_reads_is_refused(planned):
    names = without(planned["compute"]["function_names"], "archive")
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    with pytest.raises(DeployError, match=r"to map with keys enrich, ingest, transform, validate by the new"):
        guard(deployed, {**planned, "compute": {**planned["compute"], "function_names": names}}).check([COMPUTE])


def test_a_map_keyed_by_the_exporters_names_may_gain_keys(planned):
    endpoints = {**planned["network"]["vpc_endpoint_ids"], "sts": "vpce-0123456789abcdef0"}
    deployed = DeployedStacks({"network": planned["network"], "compute": planned["compute"]})
    guard(deployed, {**planned, "network": {**planned["network"], "vpc_endpoint_ids": endpoints}}).check([NETWORK])


def test_an_export_a_deployed_reader_still_reads_cannot_disappear(planned):
    new_compute = without(planned["compute"], "dead_letter_queue_url")
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    with pytest.raises(DeployError) as refused:
        guard(deployed, {**planned, "compute": new_compute}).check([COMPUTE])
    assert "stack 'dev' of streaming-observability reads 'dead_letter_queue_url' from streaming-compute, " in str(
        refused.value
    )
    assert "which is no longer exported by the new version" in str(refused.value)
    assert "--allow-contract-break" in str(refused.value)


@pytest.fixture(scope="module")
def data_with_keys(planned) -> dict[str, Any]:
    """The data stack as deployed with customer-managed keys: it exports both key ARNs."""
    region = planned["data"]["region"]
    return {
        **planned["data"],
        "stream_kms_key_arn": f"arn:aws:kms:{region}:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd",
        "archive_kms_key_arn": f"arn:aws:kms:{region}:123456789012:key/5555eeee-6666-ffff-7777-aaaa8888bbbb",
    }


def test_dropping_an_export_a_deployed_reader_reads_optionally_is_refused_while_the_stack_exports_it(
    planned, data_with_keys
):
    deployed = DeployedStacks({"data": data_with_keys, "compute": planned["compute"]})
    with pytest.raises(DeployError) as refused:
        guard(deployed, {**planned, "data": without(data_with_keys, "stream_kms_key_arn")}).check([DATA])
    assert str(refused.value).splitlines()[0] == (
        "refusing to deploy: stack 'dev' of streaming-compute reads 'stream_kms_key_arn' from streaming-data "
        "(optionally), which is no longer exported by the new version"
    )


def test_an_optional_export_the_deployed_stack_does_not_have_may_stay_absent(planned):
    deployed = DeployedStacks({"data": planned["data"], "compute": planned["compute"]})
    assert "stream_kms_key_arn" not in planned["data"]
    guard(deployed, planned).check([DATA])


def test_an_optional_export_in_another_shape_is_refused(planned, data_with_keys):
    deployed = DeployedStacks({"data": data_with_keys, "compute": planned["compute"]})
    reshaped = {**data_with_keys, "archive_kms_key_arn": [data_with_keys["archive_kms_key_arn"]]}
    with pytest.raises(DeployError, match=r"'archive_kms_key_arn' from streaming-data \(optionally\), which changes"):
        guard(deployed, {**planned, "data": reshaped}).check([DATA])


def test_what_an_older_deployed_reader_reads_counts_not_what_the_catalogue_says_today(planned):
    old_reader = {
        **planned["observability"],
        "contract_reads": {
            "streaming-compute": reads(
                function_names=Read(Shape.BY_STAGE, False), failure_queue_name=Read(Shape.STRING, False)
            )
        },
    }
    deployed = DeployedStacks(
        {"compute": {**planned["compute"], "failure_queue_name": "q"}, "observability": old_reader}
    )
    with pytest.raises(DeployError, match="reads 'failure_queue_name' from streaming-compute, which is no longer"):
        guard(deployed, planned).check([COMPUTE])


def test_allow_contract_break_deploys_and_says_so(planned):
    said: list[str] = []
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    guard(
        deployed, {**planned, "compute": without(planned["compute"], "region")}, allow_break=True, say=said.append
    ).check([COMPUTE])
    assert said[0].startswith("Deploying despite contract breaks, because of --allow-contract-break:")
    assert "'region' from streaming-compute" in said[0]


def test_an_added_export_passes(planned):
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    guard(deployed, {**planned, "compute": {**planned["compute"], "state_machine_name_v2": "x"}}).check([COMPUTE])


def test_without_deployed_readers_there_is_nothing_to_check_and_no_plan_runs():
    def no_plan(*args: Any) -> Mapping[str, Any]:
        raise AssertionError("the plan ran")

    DeployGuard(DeployedStacks({"compute": {"region": "x"}}), STACK, plan=no_plan).check([COMPUTE])


def test_a_reader_redeployed_later_in_the_same_run_is_not_held_to_its_deployed_reads(planned):
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    reshaped = {**planned["compute"], "function_names": ["a"]}
    guard(deployed, {**planned, "compute": reshaped}).check([COMPUTE, OBSERVABILITY])


def test_a_deployed_reader_without_contract_reads_is_an_error_naming_the_fix(planned):
    deployed = DeployedStacks(
        {"compute": planned["compute"], "observability": without(planned["observability"], "contract_reads")}
    )
    with pytest.raises(DeployError) as refused:
        guard(deployed, planned).check([COMPUTE])
    assert str(refused.value) == (
        "stack 'dev' of streaming-observability has outputs but no 'contract_reads' export of the form every "
        "version of its program publishes: redeploy it (`nox -s deploy -- observability --stack dev`)."
    )


def test_the_guard_plans_only_the_layer_it_deploys_with_the_deployed_upstream_outputs(planned):
    """Another layer's config cannot stop a deploy: only compute's program runs, its StackReferences
    answered with what the deployed network and data stacks hold."""
    deployed_data = {**planned["data"], "stream_name": "streaming-dev-stream-as-deployed"}
    deployed = DeployedStacks({**planned, "data": deployed_data})
    seen: list[tuple[str, Mapping[str, Any]]] = []

    def recording(item: Layer, stack: str, upstream: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
        seen.append((item.name, upstream))
        return planned_exports(repo_root())(item, stack, upstream)

    DeployGuard(deployed, STACK, plan=recording).check([COMPUTE])
    assert [name for name, _ in seen] == ["compute"]
    assert seen[0][1]["data"]["stream_name"] == "streaming-dev-stream-as-deployed"


def test_the_first_deploy_of_a_chain_plans_the_upstream_layers_of_the_run(planned):
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})
    seen: list[str] = []

    def recording(item: Layer, stack: str, upstream: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
        seen.append(item.name)
        assert set(upstream) == set(item.upstream)
        return planned[item.name]

    DeployGuard(deployed, STACK, plan=recording).check([NETWORK, DATA])
    assert sorted(seen) == ["data", "network"]


def test_a_plan_that_does_not_run_is_no_pass(planned):
    deployed = DeployedStacks({"compute": planned["compute"], "observability": planned["observability"]})

    def failing(item: Layer, stack: str, upstream: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
        raise PlanFailed("streaming-compute:batchSize: must be at most 10000")

    with pytest.raises(DeployError) as refused:
        DeployGuard(deployed, STACK, plan=failing).check([COMPUTE])
    assert str(refused.value).splitlines()[0] == (
        "refusing to deploy unchecked: cannot check streaming-compute: its offline plan of stack 'dev' did not run: "
        "streaming-compute:batchSize: must be at most 10000"
    )


# -- after `up`: who reads what changed ------------------------------------------------------------


def test_after_a_deploy_that_changed_a_read_export_the_summary_names_the_reader_and_the_command(planned):
    changed = {**planned["compute"], "state_machine_arn": "arn:aws:states:::stateMachine:renamed"}
    deployed = DeployedStacks(
        {"compute": planned["compute"], "observability": planned["observability"]}, after_up={"compute": changed}
    )
    checker = guard(deployed, planned)
    checker.check([COMPUTE])
    results = run_layers(Operation.UP, [COMPUTE], deployed, "dev", emit=lambda line: None)
    text, readers = checker.after(results, run={"compute"})
    assert readers == ["observability"]
    assert text.splitlines()[1] == (
        "  streaming-observability (stack 'dev') reads state_machine_arn from streaming-compute, which changed: "
        "redeploy it with `nox -s deploy -- observability --stack dev`"
    )


def test_a_changed_export_no_deployed_reader_reads_asks_for_no_redeploy(planned):
    changed = {**planned["compute"], "dependency_layer_arn": "arn:aws:lambda:::layer:new:2"}
    deployed = DeployedStacks(
        {"compute": planned["compute"], "observability": planned["observability"]}, after_up={"compute": changed}
    )
    checker = guard(deployed, planned)
    checker.check([COMPUTE])
    results = run_layers(Operation.UP, [COMPUTE], deployed, "dev", emit=lambda line: None)
    assert checker.after(results, run={"compute"}) == ("", [])


# -- the command line ------------------------------------------------------------------------------


def run_cli(argv: list[str], gateway: DeployedStacks, root: Path | None = None) -> tuple[int, str]:
    said: list[str] = []
    code = cli.main(
        argv,
        root=root or repo_root(),
        gateway_factory=lambda args, root, say: gateway,
        say=said.append,
        ask=lambda prompt: "",
    )
    return code, "\n".join(said)


def test_deploy_refuses_before_any_up_when_a_deployed_reader_would_break(planned):
    old_reader = {
        **planned["observability"],
        "contract_reads": {"streaming-compute": reads(dead_letter_queue_name=Read(Shape.STRING, False))},
    }
    gateway = DeployedStacks({**planned, "observability": old_reader})
    code, text = run_cli(["deploy", "compute", "--stack", "dev"], gateway)
    assert code == 1
    assert text.startswith(
        "refusing to deploy: stack 'dev' of streaming-observability reads 'dead_letter_queue_name' from "
        "streaming-compute, which is no longer exported by the new version"
    )
    assert gateway.calls == []


def test_another_layers_broken_config_does_not_stop_a_deploy(repo, planned):
    """Observability's stack file is wrong (its team's problem); data, which it reads, still deploys:
    the guard plans data alone."""
    append(repo, "stacks/observability/Pulumi.dev.yaml", "  streaming-observability:tableOperations: [Nothing]\n")
    gateway = DeployedStacks(planned)
    code, text = run_cli(["deploy", "data", "--stack", "dev"], gateway, root=repo)
    assert (code, gateway.calls) == (0, [("preview", "data"), ("up", "data")]), text


def test_deploy_with_allow_contract_break_runs_the_up(planned):
    old_reader = {
        **planned["observability"],
        "contract_reads": {"streaming-compute": reads(dead_letter_queue_name=Read(Shape.STRING, False))},
    }
    gateway = DeployedStacks({**planned, "observability": old_reader})
    code, text = run_cli(["deploy", "compute", "--stack", "dev", "--allow-contract-break"], gateway)
    assert code == 0
    assert "because of --allow-contract-break" in text
    assert gateway.calls == [("preview", "compute"), ("up", "compute")]


def test_deploy_summary_names_the_readers_that_hold_old_values(planned):
    changed = {**planned["compute"], "function_names": {**planned["compute"]["function_names"], "ingest": "new"}}
    gateway = DeployedStacks(planned, after_up={"compute": changed})
    code, text = run_cli(["deploy", "compute", "--stack", "dev"], gateway)
    assert code == 0
    assert "streaming-observability (stack 'dev') reads function_names from streaming-compute, which changed" in text


def test_preview_of_one_layer_previews_only_that_layer(planned):
    gateway = DeployedStacks(planned)
    code, text = run_cli(["preview", "compute", "--stack", "dev"], gateway)
    assert (code, gateway.calls) == (0, [("preview", "compute")])
    assert text.startswith("preview of stack 'dev':")


def test_deploy_changed_deploys_exactly_the_affected_layers(repo, planned):
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
    commit_all(repo, "compute change")
    gateway = DeployedStacks({"network": planned["network"], "data": planned["data"]})
    code, text = run_cli(["deploy-changed", "--base", BASE_TAG, "--stack", "dev"], gateway, root=repo)
    assert code == 0, text
    assert gateway.calls == [("preview", "compute"), ("up", "compute")]
    assert "stacks/compute/compute_layer/iam.py changed" in text


def test_deploy_changed_needs_no_outputs_of_an_upstream_it_deploys_first(repo, planned):
    append(repo, "stacks/network/network_layer/settings.py", CODE)
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
    gateway = DeployedStacks({"data": planned["data"]})
    code, text = run_cli(["deploy-changed", "--base", BASE_TAG, "--stack", "dev"], gateway, root=repo)
    assert code == 0, text
    assert gateway.calls == [("preview", "network"), ("up", "network"), ("preview", "compute"), ("up", "compute")]


def test_deploy_changed_with_nothing_affected_deploys_nothing_and_needs_no_backend(repo):
    append(repo, "docs/conventions.md", "\nMore words.\n")

    def no_backend(*args: Any) -> DeployedStacks:
        raise AssertionError("a gateway was opened")

    said: list[str] = []
    code = cli.main(
        ["deploy-changed", "--base", BASE_TAG, "--stack", "dev"], root=repo, gateway_factory=no_backend, say=said.append
    )
    assert code == 0
    assert said[-1] == "Nothing to deploy."


def test_deploy_changed_refuses_while_an_unchanged_upstream_is_not_deployed(repo):
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
    code, text = run_cli(["deploy-changed", "--base", BASE_TAG, "--stack", "dev"], DeployedStacks({}), root=repo)
    assert code == 1
    assert "stack 'dev' of streaming-network has no outputs yet" in text


def test_deploy_changed_with_an_unknown_base_is_one_sentence(repo):
    code, text = run_cli(["deploy-changed", "--base", "nowhere", "--stack", "dev"], DeployedStacks({}), root=repo)
    assert code == 1
    assert text.startswith("git ref 'nowhere' is not known")


# -- offline: contract-check -------------------------------------------------------------------------


LIST_OF_NAMES = (
    "stacks/compute/__main__.py",
    '"function_names": {stage: functions[stage].function.name for stage in STAGES},',
    '"function_names": [functions[stage].function.name for stage in STAGES],',
)


@pytest.fixture(scope="module")
def base_plan(planned) -> TreePlan:
    """The plan at the base: the base is a copy of this tree, so the plan the module already ran
    (`planned`) is its plan. The CLI tests below (slow) plan a real worktree of the base."""
    return TreePlan(
        exports=planned,
        projects={name: item.project for name, item in LAYERS.items()},
        reads={
            name: {project: dict(reads) for project, reads in reads_of(item).items()} for name, item in LAYERS.items()
        },
        problems=[],
    )


@pytest.fixture(scope="module")
def changed_head(template) -> TreePlan:
    """The plan of a work tree (in its own process, with that tree's code) whose compute program
    exports `function_names` as a list and adds `stage_count`."""
    with commit_tree(template, BASE_TAG) as tree:
        edit(tree, *LIST_OF_NAMES)
        edit(
            tree,
            "stacks/compute/__main__.py",
            '"dependency_layer_arn":',
            '"stage_count": len(STAGES),\n        "dependency_layer_arn":',
        )
        return plan_tree(tree, STACK)


@pytest.mark.slow
def test_contract_check_passes_when_nothing_changed(repo):
    said: list[str] = []
    assert contract.main(["--base", BASE_TAG], root=repo, say=said.append) == 0
    assert said == [
        f"Contract kept since {BASE_TAG}: all 21 exports layers read at the base are exported, same shapes."
    ]


def test_contract_check_names_the_layer_the_reshaped_export_and_its_readers_and_nothing_else(base_plan, changed_head):
    assert grouped(contract_check(base_plan, changed_head)) == [
        f"streaming-compute: export 'function_names' changes shape from {BY_STAGE} to list; "
        "read by streaming-observability"
    ]


@pytest.mark.slow
def test_contract_check_exits_non_zero_on_a_break(repo):
    edit(repo, *LIST_OF_NAMES)
    commit_all(repo, "function_names as a list")
    said: list[str] = []
    assert contract.main(["--base", BASE_TAG], root=repo, say=said.append) == 1
    assert said[0].startswith(f"Contract broken since {BASE_TAG}:\n  streaming-compute: export 'function_names'")


def test_contract_check_lets_additions_pass(base_plan, changed_head):
    assert changed_head.exports["compute"]["stage_count"] == 5
    assert "stage_count" not in base_plan.exports["compute"]
    assert not [item for item in contract_check(base_plan, changed_head) if item.export == "stage_count"]


def test_an_export_read_at_the_base_and_gone_in_the_work_tree_fails(base_plan):
    head = TreePlan(
        exports={**base_plan.exports, "data": without(base_plan.exports["data"], "table_arn")},
        projects=base_plan.projects,
        reads=base_plan.reads,
        problems=[],
    )
    assert grouped(contract_check(base_plan, head)) == [
        "streaming-data: export 'table_arn' is no longer exported; read by streaming-compute"
    ]


def test_a_layer_whose_plan_did_not_run_on_one_side_cannot_be_checked(base_plan):
    head = TreePlan(
        exports=without(base_plan.exports, "data"),
        projects=base_plan.projects,
        reads=base_plan.reads,
        problems=["streaming-data: streaming-data:streamShardCount: must be at least 1"],
    )
    with pytest.raises(CannotPlan) as why:
        head.require(base_plan.read_layers)
    assert str(why.value) == (
        "its offline plan of streaming-data did not run: streaming-data:streamShardCount: must be at least 1"
    )


def test_an_unknown_base_exits_2_with_one_sentence(repo):
    said: list[str] = []
    assert contract.main(["--base", "nowhere"], root=repo, say=said.append) == 2
    assert said[0].startswith("git ref 'nowhere' is not known")
