"""The ``graphmatch`` command line: one entry point, one error-to-exit rule."""

from __future__ import annotations

from graphmatch.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
