"""README config blocks are filled whether they are empty or hold an older table."""

from __future__ import annotations

from streaming_shared import docs


def test_an_empty_block_is_filled():
    readme = "a\n<!-- config:data -->\n<!-- /config:data -->\nb\n"
    assert docs.render(readme, {"data": "| t |"}) == "a\n<!-- config:data -->\n| t |\n<!-- /config:data -->\nb\n"


def test_an_old_table_is_replaced():
    readme = "<!-- config:data -->\n| old |\n| rows |\n<!-- /config:data -->\n"
    assert docs.render(readme, {"data": "| new |"}) == "<!-- config:data -->\n| new |\n<!-- /config:data -->\n"


def test_blocks_of_other_layers_are_left_alone():
    readme = "<!-- config:compute -->\n| c |\n<!-- /config:compute -->\n"
    assert docs.render(readme, {"data": "| new |"}) == readme
