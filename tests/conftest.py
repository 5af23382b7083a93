"""Shared fixtures: the course data beside the project (skipped cleanly when absent)."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture
def shakespeare() -> Path:
    """The course corpus, ../shared/data/shakespeare.txt; the test skips without it."""
    path = SHARED_DATA / "shakespeare.txt"
    if not path.is_file():
        pytest.skip("../shared/data/shakespeare.txt is absent")
    return path


@pytest.fixture
def shakespeare_tokens() -> list[str]:
    """The course's token list for it, ../shared/data/shakespeare.tokens.json."""
    import json

    path = SHARED_DATA / "shakespeare.tokens.json"
    if not path.is_file():
        pytest.skip("../shared/data/shakespeare.tokens.json is absent")
    return json.loads(path.read_text())
