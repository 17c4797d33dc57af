import asyncio
import itertools
import threading
import time

from etl.errors import BlockedError, MissingSource, RobotsDisallowed, SourceUnavailable
from etl.sources.client import HostPacer, PoliteClient, Politeness, user_agent
from etl.sources.whoscored import ensure_not_blocked, parse_fixtures

FEED = "/tournaments/18685/data/?d=202101&isAggregate=false"
#: How much earlier than its pace a request may reach the test server: the pause is kept by
#: the client, the arrival timed by the server, and a loaded machine schedules both late (s).
ARRIVAL_JITTER_S = 0.025
FAST = Politeness(min_interval_s=0.0, timeout_s=0.5, max_retries=3, backoff_s=0.01)


def is_blocked(body: bytes) -> bool:
    try:
        ensure_not_blocked(body)
    except BlockedError:
        return True
    return False


def fetch(server, paths, politeness=FAST, archived=None):
    """GET each path in order through one client; return what each gave (or raised)."""

    def archive(response):
        if archived is not None:
            archived.append(response)
            return len(archived)
        return None

    async def run():
        results = []
        async with PoliteClient(
            server.base_url,
            agent=user_agent("ops@example.org"),
            politeness=politeness,
            archive=archive,
            is_blocked=is_blocked,
        ) as client:
            for path in paths:
                try:
                    results.append(await client.get(path))
                except Exception as exc:
                    results.append(exc)
        return results

    return asyncio.run(run())


def test_a_feed_is_fetched_after_robots_txt_with_an_honest_user_agent(whoscored_server):
    [response] = fetch(whoscored_server, [FEED])
    assert response.status == 200 and len(parse_fixtures(response.body)) == 50
    assert whoscored_server.paths() == ["/robots.txt", FEED]
    agent = whoscored_server.hits[-1].user_agent
    assert agent.startswith("footcast/") and "contact: ops@example.org" in agent


def test_429_with_retry_after_and_500_are_retried_until_the_page_comes(whoscored_server):
    whoscored_server.script(FEED, (429, 1), 500, 503)
    started = time.monotonic()
    [response] = fetch(whoscored_server, [FEED])
    assert response.status == 200
    assert whoscored_server.paths().count(FEED) == 4
    hits = [hit.at for hit in whoscored_server.hits if hit.path == FEED]
    assert hits[1] - hits[0] >= 0.95  # Retry-After: 1 was honoured
    assert time.monotonic() - started < 3


def test_a_hanging_request_times_out_and_is_retried(whoscored_server):
    whoscored_server.script(FEED, "hang")
    [response] = fetch(whoscored_server, [FEED])
    assert response.status == 200 and whoscored_server.paths().count(FEED) == 2


def test_retries_back_off_exponentially_then_give_up_as_source_unavailable(whoscored_server):
    whoscored_server.script(FEED, *[500] * 5)
    politeness = Politeness(min_interval_s=0.0, timeout_s=0.5, max_retries=3, backoff_s=0.1)
    [error] = fetch(whoscored_server, [FEED], politeness)
    assert isinstance(error, SourceUnavailable) and "HTTP 500 after 4 attempts" in str(error)
    hits = [hit.at for hit in whoscored_server.hits if hit.path == FEED]
    gaps = [later - earlier for earlier, later in itertools.pairwise(hits)]
    # backoff 0.1, 0.2, 0.4 s, each with jitter in [50 %, 100 %]
    assert [round(g, 2) >= low for g, low in zip(gaps, (0.05, 0.1, 0.2), strict=True)] == [True] * 3
    assert gaps[2] > gaps[0]


def test_a_retry_after_longer_than_allowed_is_not_waited_out(whoscored_server):
    whoscored_server.script(FEED, (429, 3600))
    started = time.monotonic()
    [error] = fetch(whoscored_server, [FEED])
    assert isinstance(error, SourceUnavailable) and "Retry-After 3600" in str(error)
    assert time.monotonic() - started < 1


def test_requests_to_one_host_are_spaced_by_the_minimum_interval(whoscored_server):
    politeness = Politeness(min_interval_s=0.2, timeout_s=2)
    fetch(whoscored_server, [FEED, FEED, FEED], politeness)
    hits = [hit.at for hit in whoscored_server.hits]
    assert len(hits) == 4  # robots.txt and three pages
    gaps = [later - earlier for earlier, later in itertools.pairwise(hits)]
    assert min(gaps) >= 0.2 - ARRIVAL_JITTER_S


def test_concurrent_requests_still_wait_their_turn(whoscored_server):
    politeness = Politeness(min_interval_s=0.15, concurrency=4, timeout_s=2)

    async def run():
        async with PoliteClient(
            whoscored_server.base_url, agent="footcast/test", politeness=politeness
        ) as client:
            await asyncio.gather(*(client.get(f"{FEED}&n={n}") for n in range(4)))

    asyncio.run(run())
    hits = sorted(hit.at for hit in whoscored_server.hits)
    # timed where the server sees them, so a loaded machine's scheduling jitter is allowed for;
    # unpaced, the four requests would arrive within milliseconds of each other
    assert hits[-1] - hits[0] >= 3 * 0.15 - 0.05
    assert min(later - earlier for earlier, later in itertools.pairwise(hits)) >= 0.1


def test_clients_in_different_threads_share_one_pace_per_host(whoscored_server):
    politeness = Politeness(min_interval_s=0.15, timeout_s=2)
    pacer = HostPacer()

    async def run(n):
        async with PoliteClient(
            whoscored_server.base_url, agent="footcast/test", politeness=politeness, pacer=pacer
        ) as client:
            for k in range(2):
                await client.get(f"{FEED}&thread={n}&k={k}")

    threads = [threading.Thread(target=asyncio.run, args=(run(n),)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hits = sorted(hit.at for hit in whoscored_server.hits)
    assert len(hits) == 6  # each client reads robots.txt once, then two pages
    gaps = [later - earlier for earlier, later in itertools.pairwise(hits)]
    assert min(gaps) >= 0.15 - ARRIVAL_JITTER_S


def test_robots_txt_disallowing_a_path_means_it_is_never_requested(whoscored_server):
    whoscored_server.robots = "User-agent: footcast\nDisallow: /tournaments/\n"
    [error] = fetch(whoscored_server, [FEED])
    assert isinstance(error, RobotsDisallowed)
    assert whoscored_server.paths() == ["/robots.txt"]


def test_a_missing_robots_txt_allows_everything(whoscored_server):
    whoscored_server.robots = None
    [response] = fetch(whoscored_server, [FEED])
    assert response.status == 200


def test_robots_txt_crawl_delay_slows_the_client_down(whoscored_server):
    whoscored_server.robots = "User-agent: *\nCrawl-delay: 1\n"
    fetch(whoscored_server, [FEED, FEED], Politeness(min_interval_s=0.0, timeout_s=2))
    first, second = (hit.at for hit in whoscored_server.hits if hit.path == FEED)
    assert second - first >= 0.99


def test_the_bot_protection_page_is_archived_then_blocks_the_host_for_the_cool_down(
    whoscored_server,
):
    whoscored_server.script(FEED, "blocked")
    archived = []
    first, second = fetch(whoscored_server, [FEED, FEED], archived=archived)
    assert isinstance(first, BlockedError) and "bot-protection" in str(first)
    assert isinstance(second, BlockedError) and "cooling down" in str(second)
    assert whoscored_server.paths().count(FEED) == 1  # nothing sent during the cool-down
    assert b"Incapsula" in archived[-1].body


def test_every_response_is_archived_before_it_is_returned_including_failures(whoscored_server):
    whoscored_server.script(FEED, 500)
    archived = []
    [response] = fetch(whoscored_server, [FEED], archived=archived)
    assert [(r.url.rsplit("/", 1)[-1], r.status) for r in archived] == [
        ("robots.txt", 200),
        (FEED.rsplit("/", 1)[-1], 500),
        (FEED.rsplit("/", 1)[-1], 200),
    ]
    assert response.raw_id == 3 and response.body == archived[-1].body


def test_a_not_found_page_is_a_missing_source_without_retries(whoscored_server):
    [error] = fetch(whoscored_server, ["/Matches/1/Live"])
    assert isinstance(error, MissingSource) and "HTTP 404" in str(error)
    assert whoscored_server.paths().count("/Matches/1/Live") == 1
