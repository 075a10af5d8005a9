"""Shared fixtures: every test gets its own data directory (SQLite + object store)."""

from __future__ import annotations

import pytest

from handover import config


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(path))
    config.settings.cache_clear()
    yield path
    config.settings.cache_clear()
