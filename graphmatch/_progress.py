"""Progress bars on stderr when tqdm is installed (the ``[seed]`` extra), else none."""

from __future__ import annotations

from typing import Any

__all__ = ["tqdm"]


class _NoBar:
    """Accept tqdm's arguments and calls, and show nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Ignore the bar's settings."""

    def update(self, n: float = 1) -> None:
        """Ignore progress."""

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """Ignore the status text."""

    def close(self) -> None:
        """Ignore closing."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tqdm() -> Any:
    """Return ``tqdm.tqdm``, or the silent stand-in when tqdm is not installed."""
    try:
        from tqdm import tqdm as bar
    except ImportError:  # the core does not depend on tqdm: no bar is the fallback
        return _NoBar
    return bar


#: ``tqdm.tqdm`` where installed, else a stand-in with the same calls that prints nothing.
tqdm: Any = _tqdm()
