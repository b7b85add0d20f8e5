"""The explorer: a web page at ``/`` for suggestions, the mutual-friends picture and the event room.

Everything it loads comes from this server: ``/`` is ``static/explorer/index.html`` and its
script and style sheet are served under ``/explorer/`` from the same folder (shipped as package
data), with a Content-Security-Policy that allows nothing from elsewhere. The page only calls
the documented JSON API (people search, suggestions, mutual friends, events, attendees,
introductions, top pairs, rank), so it shows exactly what the API shows: blocked people and
people who opted out never appear, because the API never returns them.

The mutual-friends picture is SVG drawn by the page's own script (``explorer.js``), not by a
vendored graph library: the picture is always the same shape (two people and the friends they
share, in the API's order, strongest tie first), which a fixed fan layout draws legibly with
a few dozen lines and no force simulation. That keeps the page dependency-free and
offline, the layout deterministic (the browser test reads node ids back out of the SVG), and
the script small enough to read in one sitting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask.typing import ResponseReturnValue

from api.presence import EXTENSION as PRESENCE
from api.routing import ApiBlueprint
from graphmatch import GraphStore, PersonNotFound
from graphmatch.presence import ListsEvents

__all__ = ["CSP", "bp", "demo_story"]

#: Nothing but this server: scripts, styles, fetches, images and frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

bp = ApiBlueprint(
    "explorer",
    __name__,
    tag="explorer",
    static_folder="static/explorer",
    static_url_path="/explorer",
)


@bp.route("/")
def index() -> ResponseReturnValue:
    """Serve the explorer page."""
    assert bp.static_folder is not None
    # Read whole rather than streamed: the page is a few kB, and a streamed file response
    # holds a file handle until the client (or a test) closes the response.
    page = (Path(bp.static_folder) / "index.html").read_bytes()
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.after_request
def _no_sniff(response: Any) -> Any:
    # Assets under /explorer/ keep their declared types; the page's CSP covers what they load.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _who(store: GraphStore, person: str) -> str:
    """Return how the explorer shows a person: ``Name #id``, or the id without a name."""
    try:
        name = store.person(person).get("name")
    except PersonNotFound:
        return person
    return f"{name} #{person}" if isinstance(name, str) and name else person


def demo_story(app: Flask, base_url: str) -> str | None:
    """Return one line that points a newcomer at the picture: page, event and its best pair.

    For ``graphmatch serve --demo`` to print after the demo's attendees are checked in.

    Parameters
    ----------
    app : flask.Flask
        An app from :func:`api.create_app` whose presence service has events.
    base_url : str
        Where the server answers, e.g. ``http://127.0.0.1:8080``.

    Returns
    -------
    str or None
        ``explorer: open <url>/ ...`` naming the first event with attendees and its top pair,
        or None when no event has a pair to introduce.

    Examples
    --------
    >>> import graphmatch as gm
    >>> from api import create_app
    >>> store = gm.MemoryStore()
    >>> _ = store.add_friendships([("a", "m"), ("b", "m")])
    >>> app = create_app(store=store)
    >>> svc = app.extensions["graphmatch.presence.service"]
    >>> _ = svc.add_event("conf", name="Conf")
    >>> _ = svc.check_in("a", event_id="conf"), svc.check_in("b", event_id="conf")
    >>> line = demo_story(app, "http://127.0.0.1:8080")
    >>> line.startswith("explorer: open http://127.0.0.1:8080/ - at 'Conf' (event conf) ")
    True
    >>> line.endswith("the best pair to introduce is a and b, 1 friend in common")
    True
    """
    svc = app.extensions[PRESENCE]
    index = svc.index
    if not isinstance(index, ListsEvents):
        return None
    with app.app_context():
        for event_id in index.event_ids(None, 100):
            pairs = svc.top_pairs(event_id, limit=1, explain=0)
            if pairs:
                best = pairs[0]
                name = svc.event(event_id).name or event_id
                count = best.mutual_count
                return (
                    f"explorer: open {base_url}/ - at {name!r} (event {event_id}) the best pair "
                    f"to introduce is {_who(svc.store, best.a)} and {_who(svc.store, best.b)}, "
                    f"{count} friend{'' if count == 1 else 's'} in common"
                )
    return None
