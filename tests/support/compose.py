"""Reading compose files as docker compose would: variable interpolation, the api service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
# ${VAR?err}, ${VAR:+alt}, ${VAR+alt}.
_VAR = re.compile(
    r"\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*?))?\})"
)


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is unset: compose refuses to start."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Substitute variables in text as docker compose does (the subset above)."""

    def one(m: re.Match[str]) -> str:
        if m[1]:
            return "$"
        name = m[2] or m[3]
        op, arg = m[4], m[5] or ""
        value = env.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset else str(value)
        if op in (":?", "?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        if op in (":+", "+"):
            return "" if unset else arg
        return value or ""

    return _VAR.sub(one, text)


def service(path: Path, name: str, env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Return a service's command and environment from a compose file, interpolated with env."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    spec = doc["services"][name]
    command = spec.get("command", [])
    if isinstance(command, str):
        command = command.split()
    environment = spec.get("environment", {})
    if isinstance(environment, list):  # the "- KEY=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return (
        [interpolate(str(c), env) for c in command],
        {k: interpolate(str(v), env) for k, v in environment.items()},
    )
