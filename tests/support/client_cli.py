"""The client commands of the ``forcegate`` CLI as the client CLI tests run them: in process through
click's runner, or as a subprocess, with a private client home and an encrypted file store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from forcegate.cli import main
from forcegate.client import EncryptedFileStore

PASSPHRASE = "cli test passphrase"


@dataclass
class Cli:
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "FORCEGATE_CLIENT_HOME": str(self.home),
            "FORCEGATE_STORE": "file",
            "FORCEGATE_PASSPHRASE": PASSPHRASE,
            "FORCEGATE_SCRYPT_N": str(2**14),
            **extra,
        }

    def __call__(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env(**env), catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
        environment.update(self.env(PYTHONUNBUFFERED="1"))
        return subprocess.Popen(
            [sys.executable, "-m", "forcegate.cli", *args],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def store(self) -> EncryptedFileStore:
        return EncryptedFileStore(self.home / "connections.vault", passphrase=PASSPHRASE)
