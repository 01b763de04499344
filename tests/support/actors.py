"""Who the tests' direct set-up (through the services, not the admin API or the CLI) acts as: the
Setup Audit Trail records it as forcegate itself."""

from __future__ import annotations

from forcegate.org.audit import Actor

FIXTURE = Actor.system("test fixture")
