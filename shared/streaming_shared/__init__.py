"""The streaming pipeline's own library: what all four layers need, written once."""
