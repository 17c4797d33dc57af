"""A stand-in WhoScored on loopback: real HTTP, serving the saved pages and feeds.

Tests script failures per path (429 with Retry-After, 500, a hang past the client's
timeout, the bot-protection page) that are served, in order, before the real content.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

EPL_2021 = "ENG-Premier League_2021"
ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Hit:
    path: str
    at: float
    user_agent: str


@dataclass
class WhoScoredServer:
    data: Path
    robots: str | None = ROBOTS
    hang_s: float = 1.0
    hits: list[Hit] = field(default_factory=list)
    scripts: dict[str, deque[object]] = field(default_factory=lambda: defaultdict(deque))
    replaced: dict[str, bytes] = field(default_factory=dict)
    base_url: str = ""

    def script(self, path: str, *answers: object) -> None:
        """Serve these answers to the next requests of ``path`` (then the real content).

        An answer is an HTTP status, ``(status, retry_after)``, ``"hang"`` or ``"blocked"``.
        """
        self.scripts[path].extend(answers)

    def replace(self, path: str, body: bytes) -> None:
        """Serve ``body`` for ``path`` from now on (a changed or truncated page)."""
        self.replaced[path] = body

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    # -- the site --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.hits.append(Hit(path, time.monotonic(), request.headers.get("User-Agent", "")))
        queue = self.scripts.get(path)
        if queue:
            answer = queue.popleft()
            if answer == "hang":
                await asyncio.sleep(self.hang_s)
                return web.Response(status=504)
            if answer == "blocked":
                body = (self.data / "blocked" / "incapsula.html").read_bytes()
                return web.Response(body=body, content_type="text/html")
            status, retry_after = answer if isinstance(answer, tuple) else (answer, None)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.Response(status=int(status), text="busy", headers=headers)
        if path in self.replaced:
            return web.Response(body=self.replaced[path], content_type="text/html")
        return self.content(request)

    def content(self, request: web.Request) -> web.Response:
        path, ws = request.path, self.data
        if path == "/robots.txt":
            if self.robots is None:
                raise web.HTTPNotFound()
            return web.Response(text=self.robots)
        if path == "/Regions/252/Tournaments/2":
            return _html(ws / "seasons" / "ENG-Premier League.html")
        if path == "/Regions/252/Tournaments/2/Seasons/8228":
            return _html(ws / "seasons" / f"{EPL_2021}.html")
        if path == "/Regions/252/Tournaments/2/Seasons/8228/Stages/18685":
            return _html(ws / "matches" / f"{EPL_2021}.html")
        if path == "/tournaments/18685/data/":
            month = int(request.query["d"][4:]) - 1
            feed = ws / "matches" / f"{EPL_2021}_18685_{month}.json"
            if feed.exists():
                return web.Response(body=feed.read_bytes(), content_type="application/json")
        if path == "/Matches/1650630/Live":
            return web.Response(
                body=_gunzip(ws / "live" / "1650630.html.gz"), content_type="text/html"
            )
        if path.startswith("/Matches/") and path.endswith("/Live"):
            match_id = path.split("/")[2]
            events = ws / "events" / EPL_2021 / f"{match_id}.json"
            if events.exists():
                return web.Response(text=live_page(int(match_id), events), content_type="text/html")
        if path.startswith("/Matches/") and path.endswith("/Preview"):
            preview = ws / "previews" / EPL_2021 / f"{path.split('/')[2]}.html"
            if preview.exists():
                return _html(preview)
        raise web.HTTPNotFound()

    # -- running it ------------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._runner = web.AppRunner(self.app(), access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test server did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def live_page(match_id: int, events: Path) -> str:
    """A match-centre page built the way WhoScored builds it, around saved match data."""
    data = json.loads(events.read_text())
    return (
        "<html><head><title>Live</title></head><body><script>\n"
        '        require.config.params["args"] = {\n'
        f"            matchId:{match_id},\n"
        f"            matchCentreData: {json.dumps(data, ensure_ascii=False)},\n"
        '            formationIdNameMappings:{"2":"442","8":"4231"}\n'
        "        };\n</script></body></html>"
    )


def _html(path: Path) -> web.Response:
    return web.Response(body=path.read_bytes(), content_type="text/html")


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())
