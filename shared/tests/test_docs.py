"""README's generated config tables: filled between their markers, empty blocks included."""

from __future__ import annotations

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
