"""Fixtures of the admin CLI tests (``forcegate`` run as a subprocess): a migrated home made once, and a
private copy of it for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.admin_cli import Cli


@pytest.fixture(scope="session")
def migrated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a migrated database and its server key, made once: admin commands refuse a
    missing database, and migrating one costs seconds."""
    home = tmp_path_factory.mktemp("migrated-home")
    Cli(home).json("db", "upgrade")
    return home


@pytest.fixture
def cli(tmp_path: Path, migrated_home: Path) -> Cli:
    """A private copy of the migrated home."""
    for file in migrated_home.iterdir():
        shutil.copy2(file, tmp_path / file.name)
    return Cli(tmp_path)
