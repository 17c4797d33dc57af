"""The matchday page: ``GET /`` answers its HTML; its scripts and styles are under ``/static``.

The page is static and reads only the public JSON endpoints, so it cannot drift from the API.
"""

from __future__ import annotations

from pathlib import Path

import falcon

#: The page's files, shipped inside the package.
PAGE_DIR = Path(__file__).resolve().parent.parent / "page"
#: How long a browser may reuse the page's files without asking again (s).
STATIC_MAX_AGE_S = 300


class Page:
    """``GET /``: the matchday page."""

    def __init__(self, directory: Path = PAGE_DIR) -> None:
        self.html = (directory / "index.html").read_bytes()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.cache_control = ["no-cache"]
        resp.data = self.html


class StaticCaching:
    """Lets browsers keep ``/static`` files a few minutes; the page itself is revalidated."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        if req_succeeded and req.path.startswith("/static/"):
            resp.cache_control = [f"max-age={STATIC_MAX_AGE_S}"]
