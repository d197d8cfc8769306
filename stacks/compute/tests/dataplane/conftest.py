"""Fixtures of the data-plane tests: one moto server per session on 127.0.0.1, real boto3 calls to it.

The AWS environment variables (endpoint, fake credentials, region) are set for each test module
of this folder and restored after it, so other layers' tests never see them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import dataplane_runner
import dataplane_support

# The functions read these when their modules are imported (Powertools' Metrics and Logger), which
# may happen while tests are collected: set them as Lambda does, before anything else.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "streaming-pipeline")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "StreamingPipeline")


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = dataplane_runner.start_moto()
    yield endpoint
    server.stop()


@pytest.fixture(scope="module", autouse=True)
def aws_environment(moto_endpoint):
    saved = dict(os.environ)
    os.environ.update(dataplane_runner.emulator_environment(moto_endpoint, dataplane_support.REGION))
    yield
    os.environ.clear()
    os.environ.update(saved)
    dataplane_runner.aws_clients().client.cache_clear()


@pytest.fixture
def pipeline():
    return dataplane_runner.Pipeline(region=dataplane_support.REGION)
