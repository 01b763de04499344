"""The ``forcegate`` console script run as a real subprocess, with a private home (server key) and a
private SQLite database: what the admin CLI tests drive. Their ``cli`` and ``migrated_home`` fixtures
are in ``tests/admin/conftest.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORCEGATE = Path(sys.executable).parent / "forcegate"
COMMAND_TIMEOUT = 60


@dataclass
class Cli:
    """Runs ``forcegate`` with a private home (server key) and a private SQLite database."""

    home: Path

    @property
    def database_path(self) -> Path:
        return self.home / "x.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"

    def env(self, **extra: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
        return {
            **inherited,
            "FORCEGATE_HOME": str(self.home),
            "FORCEGATE_ARGON2_MEMORY_KIB": "1024",
            "FORCEGATE_ARGON2_TIME_COST": "1",
            **extra,
        }

    def run(self, *args: str, database: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        command = [str(FORCEGATE), *args]
        if database:
            command += ["--database", self.database_url]
        return subprocess.run(
            command,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def json(self, *args: str, **options: Any) -> Any:
        """The command's JSON output; the command must succeed."""
        result = self.run(*args, **options)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def refusal(self, *args: str) -> str:
        """The command's error message; the command must fail and print nothing on stdout."""
        result = self.run(*args)
        assert result.returncode != 0, result.stdout
        assert result.stdout == ""
        return result.stderr

    def create_app(self, name: str = "Acme", *extra: str) -> dict[str, Any]:
        return self.json(
            "apps",
            "create",
            "--name",
            name,
            "--callback-url",
            "https://acme.example.com/oauth/callback",
            "--callback-url",
            "http://localhost:1717/OauthRedirect",
            "--scopes",
            "api refresh_token openid",
            *extra,
        )
