"""Generated documentation sections: filled between their markers, and the contract tables."""

from __future__ import annotations

from streaming_shared.catalogue import COMPUTE, DATA, NETWORK
from streaming_tooling import docs

TABLE = "| key | allowed values | default | what it does |\n| --- | --- | --- | --- |"


def test_an_empty_block_is_filled():
    readme = "before\n<!-- config:data -->\n<!-- /config:data -->\nafter\n"
    assert (
        docs.render(readme, {"config:data": TABLE})
        == f"before\n<!-- config:data -->\n{TABLE}\n<!-- /config:data -->\nafter\n"
    )


def test_a_stale_block_is_replaced_and_rendering_is_idempotent():
    readme = "<!-- config:data -->\n| old |\n| table |\n<!-- /config:data -->\n"
    rendered = docs.render(readme, {"config:data": TABLE})
    assert rendered == f"<!-- config:data -->\n{TABLE}\n<!-- /config:data -->\n"
    assert docs.render(rendered, {"config:data": TABLE}) == rendered


def test_other_blocks_are_left_alone():
    readme = "<!-- config:data -->\n<!-- /config:data -->\n<!-- config:compute -->\nx\n<!-- /config:compute -->\n"
    assert "<!-- config:compute -->\nx\n<!-- /config:compute -->" in docs.render(readme, {"config:data": TABLE})


def test_an_exports_table_names_each_exports_shape_and_readers_optional_reads_included():
    rows = docs.exports_table(DATA).splitlines()
    assert "| `table_name` | string | always | compute, observability |" in rows
    assert "| `stream_kms_key_arn` | string | only in some configurations | compute |" in rows
    assert "| `function_names` | map stage -> string | always | observability |" in docs.exports_table(COMPUTE)


def test_an_export_nobody_reads_says_so():
    assert "| `vpc_id` | string | always | no layer (for operators and CI) |" in docs.exports_table(NETWORK)


def test_the_waves_come_from_the_catalogue():
    assert docs.contract_waves().splitlines()[:3] == [
        "1. network and data (concurrently: neither reads the other)",
        "2. compute",
        "3. observability",
    ]
