"""`nox -s estimate`: what a stack costs a month and how many records a second it carries, before it is deployed.

The resources and their settings come from the offline plan of the four layers (`deploy/plan.py`),
the work per record from the data plane's benchmark (`stacks/compute/bench/measured.json`), the
prices from `prices.json` (dated, each figure with its public source). `capacity` models the
consumer's throughput per shard, `cost` the monthly bill by service, `report` puts them together.
"""
