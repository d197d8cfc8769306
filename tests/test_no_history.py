"""Code says what it is, not what it was: no history in comments, docstrings, the descriptions of
config keys and resources (the README tables are generated from them) or the README files. A design
record belongs in docs/, which is not read here.

History is a phrase that has no reading in the present tense, so that `before_up`, "before any
resource is registered" or an S3 object's previous versions pass:
- "seed" (the project's first version), unless a random or hash seed;
- "used to" unless after a form of "to be" ("the key is used to sign" says what it is);
- "as before", "than before", "before this version", "before `X` existed";
- "previously", "formerly", "originally", "the previous version", "an old version";
- a year as the time of something: "in 2025", "of 2025", "since 2025", "as of 2025", "(pricing, 2024)".
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming_shared.catalogue import repo_root

HISTORY = re.compile(
    r"(?<!random )(?<!hash )\bseed(s|'s)?\b"
    r"|(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bbeen )(?<!\bbeing )(?<!\bwas )(?<!\bwere )\bused to\b"
    r"|\b(as|than) before\b|\bbefore (this|that|the last) (version|change|commit|release)\b|\bbefore \S+ existed\b"
    r"|\b(previously|formerly|originally)\b|\bthe previous version\b|\ban? (old|older) version\b"
    r"|\b(in|of|since|until|as of) (19|20)\d\d\b|, (19|20)\d\d\)",
    re.IGNORECASE,
)
DESCRIBING_KEYWORDS = ("description",)
"""Keyword arguments whose strings are descriptions (pydantic fields, AWS resources)."""


def tracked(pattern: str, root: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", pattern],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [root / name for name in listed if (root / name).is_file()]


def prose_of_python(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment, docstring (any string standing alone as a statement) and
    string in a description keyword of a Python source."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            yield node.lineno, node.value.value
        elif isinstance(node, ast.keyword) and node.arg in DESCRIBING_KEYWORDS:
            for part in ast.walk(node.value):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield part.lineno, part.value


def history_in_python(source: str) -> list[tuple[int, str]]:
    """(line, phrase) of the history in a Python source's comments, docstrings and descriptions."""
    if not HISTORY.search(source):
        return []  # a source without the phrases needs no parsing
    return [(line, match.group(0)) for line, text in prose_of_python(source) for match in HISTORY.finditer(text)]


def history_in(root: Path) -> list[str]:
    found = []
    for path in tracked("*.py", root):
        if path == Path(__file__):
            continue  # it names what it looks for
        found += [
            f"{path.relative_to(root)}:{line}: {phrase!r}" for line, phrase in history_in_python(path.read_text())
        ]
    for path in tracked("*README.md", root):
        for line, text in enumerate(path.read_text().splitlines(), start=1):
            found += [f"{path.relative_to(root)}:{line}: {match.group(0)!r}" for match in HISTORY.finditer(text)]
    return found


def test_no_history_in_code_descriptions_or_readmes():
    assert history_in(repo_root()) == []


@pytest.mark.parametrize(
    "history",
    [
        "# ingest's timeout became 360 s, the seed's 60 s being too short",
        '"""Items of the previous version carry `Status` in every state."""',
        '"""Quarantines unknown fields, as before."""',
        '"""Items written before `State` existed carry `Status`."""',
        "# this used to parse the requirements by hand",
        '"""US East list prices of 2025."""',
        '"""Later rotations are free (KMS pricing, 2024)."""',
        'Field(1, description="Previously 30 days.")',
    ],
)
def test_each_kind_of_history_is_found(history):
    assert len(history_in_python(f"{history}\n")) == 1


@pytest.mark.parametrize(
    "present",
    [
        "def before_up(): ...",
        '"""Validated before any resource is registered."""',
        '"""Days until an object\'s previous (noncurrent) versions are removed."""',
        "# the key that is used to sign the request",
        '"""A random seed keeps the simulation repeatable."""',
        'Field("2026-01-31T12:00:00Z", description="RFC 3339 time, such as 2026-01-31T12:00:00Z.")',
        "x = 'the seed of a string literal that is not a description'",
    ],
)
def test_what_is_not_history_passes(present):
    assert history_in_python(f"{present}\n") == []
