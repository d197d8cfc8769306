"""`nox -s estimate`: what a stack costs in a month of its life and how many records a second it carries.

The resources and their settings come from the offline plan of the four layers (`deploy/plan.py`),
the work per record from the data plane's benchmark (`stacks/compute/bench/measured.json`), the
prices from `prices.json` (dated, each figure with its public source). `capacity` models the
consumer's throughput per shard, `cost` the bill of a month by service, `tiering` the archive's
storage under its lifecycle rules, `recommend` the settings for a load, `report` puts them together.
"""
