"""How fast the simulator loads an org and answers requests.

Three measurements, each in processes of its own so that one does not disturb
the next:

- load: the time from reading an org fixture to the first answer of
  `GET /api/v2/users` (`load_org`, then `create_app`, then uvicorn listening,
  then a token and the first page), and the process's peak resident memory;
- throughput: answers per second and latency percentiles of a small request
  (`GET /api/v2/users/{userId}`) and of a 500-user page with skills and
  languages, under 8 and 32 concurrent keep-alive connections; the server runs
  under uvicorn pinned to one core and the load generator on another;
- baseline: the same small request answered by a bare ASGI app under the same
  uvicorn settings, so that the simulator's figures read as ratios measured in
  the same run on the same noisy machine.

Run `python bench/simulator.py --help` for the options. Results print as tables
and are written as JSON under `bench/results/`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from multiprocessing.context import SpawnProcess
from pathlib import Path

import httpx
import orjson
import uvicorn
import uvloop
from starlette.types import Receive, Scope, Send

from skillsync.bulk import freeze_heap
from skillsync.fixture import load_org
from skillsync.simulator.app import SimSettings, create_app, open_fixture
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import free_port, running_server, serve

HOST = "127.0.0.1"
SERVER_CORE = 0
CLIENT_CORE = 1
NO_RATE_LIMIT = 10**9
MAX_TOKENS = 60  # the simulator mints at most 60 tokens per client per minute
PAGE_QUERY = "pageSize=500&expand=skills,languages"
MAX_PAGES = 200  # distinct page numbers the page scenario cycles through
READY_TIMEOUT = 900.0  # seconds a server may take to load and listen
SPAWN = get_context("spawn")
RESULTS = Path(__file__).parent / "results"

SMALL_GOAL_PER_SECOND = 1_000
LOAD_GOAL_SECONDS = 10.0


# Settings.


@dataclass(frozen=True, slots=True)
class BenchSettings:
    """What to measure and for how long; `quick` is the short smoke run."""

    sizes: tuple[int, ...]
    concurrencies: tuple[int, ...]
    duration: float
    warmup: float
    rounds: int
    max_requests: int
    seed: int
    results: Path
    quick: bool


def parse_args(argv: Sequence[str] | None) -> BenchSettings:
    """Read the command line; `--quick` changes the defaults, not explicit flags."""
    parser = argparse.ArgumentParser(
        prog="python bench/simulator.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, action="append", help="org size")
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--duration", type=float, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds per run")
    parser.add_argument("--rounds", type=int, help="repeats of each run")
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1, help="seed of the orgs")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    settings = BenchSettings(
        sizes=tuple(args.users or ([10_000] if quick else [10_000, 1_000_000])),
        concurrencies=tuple(args.concurrency or ([8] if quick else [8, 32])),
        duration=args.duration or (0.5 if quick else 5.0),
        warmup=args.warmup or (0.1 if quick else 1.0),
        rounds=args.rounds or (1 if quick else 3),
        max_requests=args.max_requests,
        seed=args.seed,
        results=args.results,
        quick=quick,
    )
    check_settings(parser, settings)
    return settings


def check_settings(parser: argparse.ArgumentParser, settings: BenchSettings) -> None:
    """Refuse sizes, counts and durations that bound nothing."""
    if min(settings.sizes) < 1 or min(settings.concurrencies) < 1:
        parser.error("--users and --concurrency must be at least 1")

    if not 0 < settings.duration <= 600 or not 0 <= settings.warmup <= 60:
        parser.error("--duration must be in (0, 600] and --warmup in [0, 60]")

    if not 1 <= settings.rounds <= 20 or settings.max_requests < 1:
        parser.error("--rounds must be 1 to 20 and --max-requests at least 1")


# Orgs and processes.


def org_fixture(results: Path, users: int, seed: int) -> Path:
    """The fixture of an org of `users`, generated once and then reused."""
    out = results / "orgs" / f"users-{users}-seed-{seed}"
    fixture = out / "org.json"
    if not fixture.exists():
        note(f"generating an org of {users:,} users in {out}")
        generate_org(out, users=users, seed=seed)

    return fixture


def pin(core: int) -> bool:
    """Keep this process on one core; False where that is not possible."""
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False

        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError):
        return False

    return True


def memory_mib(field_name: str) -> float:
    """`VmHWM` (peak) or `VmRSS` (now) of this process, in MiB.

    Where `/proc` is missing, both fall back to `ru_maxrss`, the peak.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for line in status.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds a process has used, from `/proc`."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def note(message: str) -> None:
    """Tell the person waiting what the benchmark is doing."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def mint_tokens(client: httpx.Client, count: int) -> list[str]:
    """`count` access tokens of the default client, one per connection."""
    tokens = []
    for _ in range(count):
        answer = client.post(
            "/oauth/token",
            auth=("demo-client", "demo-secret"),
            data={"grant_type": "client_credentials"},
        )
        answer.raise_for_status()
        tokens.append(str(answer.json()["access_token"]))

    return tokens


# Load time and memory.


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Seconds of each step from fixture file to first answer, and memory."""

    users: int
    fixture_mib: float
    parse_seconds: float
    build_seconds: float
    listen_seconds: float
    first_answer_seconds: float
    total_seconds: float
    rss_before_mib: float
    rss_serving_mib: float
    peak_rss_mib: float


def measure_load(fixture: Path, users: int) -> LoadResult:
    """Load and serve `fixture` in this process, timing each step.

    Runs in a fresh process, so the peak memory is this org's alone.
    """
    rss_before = memory_mib("VmRSS")
    started = time.perf_counter()
    org = load_org(fixture)
    parsed = time.perf_counter()
    app = create_app(org, SimSettings(rate_limit=NO_RATE_LIMIT))
    del org
    freeze_heap()
    built = time.perf_counter()
    with running_server(app, HOST) as url, httpx.Client(base_url=url) as client:
        listening = time.perf_counter()
        token = mint_tokens(client, 1)[0]
        answer = client.get("/api/v2/users", headers=bearer(token))
        answer.raise_for_status()
        answered = time.perf_counter()
        rss_serving = memory_mib("VmRSS")

    return LoadResult(
        users=users,
        fixture_mib=fixture.stat().st_size / 2**20,
        parse_seconds=parsed - started,
        build_seconds=built - parsed,
        listen_seconds=listening - built,
        first_answer_seconds=answered - listening,
        total_seconds=answered - started,
        rss_before_mib=rss_before,
        rss_serving_mib=rss_serving,
        peak_rss_mib=memory_mib("VmHWM"),
    )


def load_in_own_process(fixture: Path, users: int) -> LoadResult:
    """`measure_load` in a new process that ends when it is done."""
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(measure_load, fixture, users).result(READY_TIMEOUT)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


# Servers.


BASELINE_BODY = orjson.dumps(
    {
        "id": "u-1",
        "name": "Ada Lovelace",
        "division": {"id": "home", "name": "Home", "selfUri": "/divisions/home"},
        "email": "ada@example.com",
        "state": "active",
        "username": "ada@example.com",
        "version": 1,
        "selfUri": "/api/v2/users/u-1",
    }
)
BASELINE_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BASELINE_BODY)).encode()),
]


async def baseline_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The least an ASGI app can do: one fixed, user-sized JSON answer."""
    if scope["type"] != "http":
        return

    start = {"type": "http.response.start", "status": 200, "headers": BASELINE_HEADERS}
    await send(start)
    await send({"type": "http.response.body", "body": BASELINE_BODY})


def serve_baseline(port: int) -> None:
    """Serve the baseline with the options the simulator's own server uses."""
    config = uvicorn.Config(
        baseline_app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    uvicorn.Server(config).run()


def serve_pinned(fixture: Path | None, port: int) -> None:
    """Process body of a server: the baseline, or the simulator of `fixture`."""
    pin(SERVER_CORE)
    if fixture is None:
        serve_baseline(port)
        return

    serve(open_fixture(fixture, SimSettings(rate_limit=NO_RATE_LIMIT)), HOST, port)


@dataclass(frozen=True, slots=True)
class Server:
    """A server starting or running in a process of its own."""

    url: str
    port: int
    process: SpawnProcess

    @property
    def pid(self) -> int:
        """The server process's id."""
        return self.process.pid or 0

    def wait(self) -> Server:
        """Poll until the server answers, its process dies, or time runs out."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not self.process.is_alive():
                raise RuntimeError(f"the server at {self.url} exited before answering")

            try:
                httpx.get(self.url + "/_sim/stats", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
                continue

            return self

        raise RuntimeError(f"the server at {self.url} did not answer in time")


@contextmanager
def server_process(fixture: Path | None) -> Iterator[Server]:
    """Start `serve_pinned` in a new process, and stop it when the block ends.

    The server may still be loading: call `wait` before sending it requests.
    """
    port = free_port(HOST)
    process = SPAWN.Process(target=serve_pinned, args=(fixture, port), daemon=True)
    process.start()
    try:
        yield Server(f"http://{HOST}:{port}", port, process)
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(10)


# The load generator.


@dataclass(frozen=True, slots=True)
class Scenario:
    """One run of the load generator against one server."""

    name: str
    port: int
    server_pid: int
    paths: tuple[str, ...]
    tokens: tuple[str, ...]
    concurrency: int
    duration: float
    warmup: float
    max_requests: int


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one run measured: answers, their rate and latency, CPU use."""

    name: str
    concurrency: int
    answers: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_bytes: float
    server_cpu: float | None
    client_cpu: float


@dataclass(slots=True)
class Tally:
    """Answers completed inside the measured window, shared by connections."""

    start_ns: int
    end_ns: int
    limit: int
    latencies: list[int] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    last_ns: int = 0

    def open(self) -> bool:
        """Whether connections should send another request."""
        return len(self.latencies) < self.limit and time.perf_counter_ns() < self.end_ns

    def record(self, sent: int, done: int, status: int, length: int) -> None:
        """Count an answer that completed inside the window."""
        if not self.start_ns <= done <= self.end_ns:
            return

        if status != 200:
            self.errors += 1
            return

        self.latencies.append(done - sent)
        self.body_bytes += length
        self.last_ns = done


def request_bytes(scenario: Scenario, path: str, token: str) -> bytes:
    """A keep-alive HTTP/1.1 GET as the wire carries it."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{scenario.port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()


def content_length(head: bytes) -> int:
    """The Content-Length of a response head; every answer here carries one."""
    lowered = head.lower()
    start = lowered.index(b"\r\ncontent-length:") + len(b"\r\ncontent-length:")
    return int(lowered[start : lowered.index(b"\r\n", start)])


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    """Send one request and read its whole answer; returns status and length."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = content_length(head)
    await reader.readexactly(length)
    return int(head[9:12]), length


async def connection(scenario: Scenario, number: int, tally: Tally) -> None:
    """One client connection sending requests back to back until the window ends.

    Each connection uses its own token and starts at its own place in the paths.
    """
    token = scenario.tokens[number % len(scenario.tokens)]
    requests = [request_bytes(scenario, path, token) for path in scenario.paths]
    offset = number * len(requests) // scenario.concurrency
    reader, writer = await asyncio.open_connection(HOST, scenario.port)
    try:
        for index in range(offset, offset + scenario.max_requests):
            if not tally.open():
                break

            sent = time.perf_counter_ns()
            status, length = await exchange(
                reader, writer, requests[index % len(requests)]
            )
            tally.record(sent, time.perf_counter_ns(), status, length)
    finally:
        writer.close()


async def cpu_sample(at_ns: int, server_pid: int) -> tuple[int, float | None, float]:
    """Wall clock, server CPU and client CPU seconds at (or just after) `at_ns`."""
    await asyncio.sleep(max(0, at_ns - time.perf_counter_ns()) / 1e9)
    return time.perf_counter_ns(), cpu_seconds(server_pid), time.process_time()


async def run_scenario(scenario: Scenario) -> Measurement:
    """Open the connections, let them work through warm-up and window, measure."""
    start = time.perf_counter_ns() + int(scenario.warmup * 1e9)
    tally = Tally(start, start + int(scenario.duration * 1e9), scenario.max_requests)
    first = asyncio.create_task(cpu_sample(tally.start_ns, scenario.server_pid))
    last = asyncio.create_task(cpu_sample(tally.end_ns, scenario.server_pid))
    connections = [connection(scenario, n, tally) for n in range(scenario.concurrency)]
    await asyncio.gather(*connections)
    if not last.done():
        last.cancel()
        last = asyncio.create_task(cpu_sample(0, scenario.server_pid))

    return summarize(scenario, tally, (await first, await last))


def percentile(ordered: Sequence[int], share: float) -> float:
    """The nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not ordered:
        return math.nan

    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1] / 1e6


def summarize(
    scenario: Scenario,
    tally: Tally,
    samples: tuple[tuple[int, float | None, float], tuple[int, float | None, float]],
) -> Measurement:
    """Turn a finished tally and two CPU samples into a measurement."""
    ordered = sorted(tally.latencies)
    seconds = max(tally.last_ns - tally.start_ns, 1) / 1e9
    (wall_0, server_0, client_0), (wall_1, server_1, client_1) = samples
    wall = max(wall_1 - wall_0, 1) / 1e9
    server_cpu = None
    if server_0 is not None and server_1 is not None:
        server_cpu = (server_1 - server_0) / wall

    return Measurement(
        name=scenario.name,
        concurrency=scenario.concurrency,
        answers=len(ordered),
        errors=tally.errors,
        seconds=seconds,
        per_second=len(ordered) / seconds,
        p50_ms=percentile(ordered, 0.50),
        p90_ms=percentile(ordered, 0.90),
        p99_ms=percentile(ordered, 0.99),
        mean_bytes=tally.body_bytes / max(len(ordered), 1),
        server_cpu=server_cpu,
        client_cpu=(client_1 - client_0) / wall,
    )


def drive(scenario: Scenario) -> Measurement:
    """Process body of the load generator: run one scenario on uvloop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(run_scenario(scenario))


def pin_client() -> None:
    """Initializer of the load generator's process."""
    pin(CLIENT_CORE)


# Throughput of one org against the baseline.


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the load generator sends requests for one org."""

    baseline: Server
    simulator: Server
    tokens: tuple[str, ...]
    small: tuple[str, ...]
    pages: tuple[str, ...]


def page_paths(total_pages: int) -> tuple[str, ...]:
    """Up to `MAX_PAGES` page numbers spread over the whole listing."""
    count = min(total_pages, MAX_PAGES)
    numbers = sorted({1 + i * total_pages // count for i in range(count)})
    return tuple(f"/api/v2/users?{PAGE_QUERY}&pageNumber={n}" for n in numbers)


def prepare(baseline: Server, simulator: Server, connections: int) -> Targets:
    """Mint tokens, check both servers answer as expected, and pick the paths."""
    with httpx.Client(base_url=simulator.url, timeout=120) as client:
        tokens = mint_tokens(client, min(connections, MAX_TOKENS))
        page = client.get(f"/api/v2/users?{PAGE_QUERY}", headers=bearer(tokens[0]))
        page.raise_for_status()
        body = page.json()
        entities = body["entities"]
        if len(entities) != min(500, body["total"]) or "skills" not in entities[0]:
            raise RuntimeError(f"unexpected first page: {len(entities)} entities")

        small = tuple(f"/api/v2/users/{user['id']}" for user in entities)
        client.get(small[0], headers=bearer(tokens[0])).raise_for_status()

    httpx.get(baseline.url + small[0]).raise_for_status()
    return Targets(
        baseline, simulator, tuple(tokens), small, page_paths(body["pageCount"])
    )


def scenarios(
    targets: Targets, concurrency: int, settings: BenchSettings
) -> list[Scenario]:
    """The three runs of one round: baseline, small request, 500-user page."""
    runs = [
        ("baseline small", targets.baseline, targets.small),
        ("simulator small", targets.simulator, targets.small),
        ("simulator page", targets.simulator, targets.pages),
    ]
    return [
        Scenario(
            name=name,
            port=server.port,
            server_pid=server.pid,
            paths=paths,
            tokens=targets.tokens,
            concurrency=concurrency,
            duration=settings.duration,
            warmup=settings.warmup,
            max_requests=settings.max_requests,
        )
        for name, server, paths in runs
    ]


def measure_org(
    pool: ProcessPoolExecutor,
    baseline: Server,
    fixture: Path,
    settings: BenchSettings,
) -> list[Measurement]:
    """Every round of every concurrency against the simulator of one org."""
    measurements = []
    with server_process(fixture) as simulator:
        baseline.wait()
        simulator.wait()
        targets = prepare(baseline, simulator, max(settings.concurrencies))
        for concurrency in settings.concurrencies:
            for _ in range(settings.rounds):
                for scenario in scenarios(targets, concurrency, settings):
                    timeout = scenario.warmup + scenario.duration + 120
                    result = pool.submit(drive, scenario).result(timeout)
                    measurements.append(result)

    return measurements


# Summaries and output.


@dataclass(frozen=True, slots=True)
class Row:
    """The median over rounds of one request kind at one org size and concurrency."""

    users: int
    name: str
    concurrency: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_bytes: float
    server_cpu: float | None
    client_cpu: float
    errors: int
    versus_baseline: float | None


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median of the known values, or None when none is known."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def rows_of(users: int, measurements: Sequence[Measurement]) -> list[Row]:
    """One row per request kind and concurrency, ratios paired round by round."""
    rows = []
    keys = dict.fromkeys((m.name, m.concurrency) for m in measurements)
    for name, concurrency in keys:
        runs = [
            m for m in measurements if (m.name, m.concurrency) == (name, concurrency)
        ]
        bases = [
            m
            for m in measurements
            if (m.name, m.concurrency) == ("baseline small", concurrency)
        ]
        ratio = None
        if name == "simulator small":
            pairs = zip(runs, bases, strict=True)
            ratio = statistics.median(r.per_second / b.per_second for r, b in pairs)

        rows.append(row_of(users, runs, ratio))

    return rows


def row_of(users: int, runs: Sequence[Measurement], ratio: float | None) -> Row:
    """The medians of the runs of one request kind."""
    return Row(
        users=users,
        name=runs[0].name,
        concurrency=runs[0].concurrency,
        per_second=statistics.median(m.per_second for m in runs),
        p50_ms=statistics.median(m.p50_ms for m in runs),
        p90_ms=statistics.median(m.p90_ms for m in runs),
        p99_ms=statistics.median(m.p99_ms for m in runs),
        mean_bytes=statistics.median(m.mean_bytes for m in runs),
        server_cpu=median_or_none([m.server_cpu for m in runs]),
        client_cpu=statistics.median(m.client_cpu for m in runs),
        errors=sum(m.errors for m in runs),
        versus_baseline=ratio,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with columns padded to line up in a terminal."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join(
        "| "
        + " | ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True))
        + " |"
        for line in lines
    )


def load_table(loads: Sequence[LoadResult]) -> str:
    """The load measurements as a table."""
    headers = ["users", "fixture MiB", "parse s", "build s", "listen s"]
    headers += ["first answer s", "total s", "serving RSS MiB", "peak RSS MiB"]
    rows = [
        [
            f"{r.users:,}",
            f"{r.fixture_mib:,.0f}",
            f"{r.parse_seconds:.2f}",
            f"{r.build_seconds:.2f}",
            f"{r.listen_seconds:.2f}",
            f"{r.first_answer_seconds:.3f}",
            f"{r.total_seconds:.2f}",
            f"{r.rss_serving_mib:,.0f}",
            f"{r.peak_rss_mib:,.0f}",
        ]
        for r in loads
    ]
    return table(headers, rows)


def throughput_table(rows: Sequence[Row]) -> str:
    """The throughput rows as a table."""
    headers = ["users", "request", "conns", "answers/s", "p50 ms", "p90 ms"]
    headers += ["p99 ms", "KiB/answer", "server CPU", "client CPU", "vs baseline"]
    body = [
        [
            f"{r.users:,}",
            r.name,
            str(r.concurrency),
            f"{r.per_second:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p90_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.mean_bytes / 1024:.1f}",
            "n/a" if r.server_cpu is None else f"{r.server_cpu:.0%}",
            f"{r.client_cpu:.0%}",
            "" if r.versus_baseline is None else f"{r.versus_baseline:.2f}",
        ]
        for r in rows
    ]
    return table(headers, body)


def goals(loads: Sequence[LoadResult], rows: Sequence[Row]) -> list[str]:
    """The project's goals, each with the figure that meets or misses it."""
    lines = []
    for row in rows:
        if row.name == "simulator small":
            met = "met" if row.per_second >= SMALL_GOAL_PER_SECOND else "MISSED"
            lines.append(
                f"{met}: {row.per_second:,.0f} small answers/s at {row.users:,} users, "
                f"{row.concurrency} connections (goal: over {SMALL_GOAL_PER_SECOND:,})"
            )

    for load in loads:
        met = "met" if load.total_seconds <= LOAD_GOAL_SECONDS else "MISSED"
        lines.append(
            f"{met}: {load.users:,} users serving after {load.total_seconds:.1f} s "
            f"(goal: within {LOAD_GOAL_SECONDS:.0f} s)"
        )

    return lines


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "pinned": len(os.sched_getaffinity(0)) >= 2,
        "uvicorn": uvicorn.__version__,
    }


def write_results(
    settings: BenchSettings,
    loads: Sequence[LoadResult],
    measurements: dict[int, list[Measurement]],
    rows: Sequence[Row],
) -> Path:
    """Write every figure, with the settings and machine, as one JSON file."""
    stamp = datetime.now(UTC)
    report = {
        "measured_at": stamp.isoformat(timespec="seconds"),
        "command": ["python", "bench/simulator.py", *sys.argv[1:]],
        "settings": {**asdict(settings), "results": str(settings.results)},
        "machine": machine(),
        "load": [asdict(r) for r in loads],
        "throughput": [asdict(r) for r in rows],
        "runs": {
            str(users): [asdict(m) for m in runs]
            for users, runs in measurements.items()
        },
        "goals": goals(loads, rows),
    }
    settings.results.mkdir(parents=True, exist_ok=True)
    path = settings.results / f"simulator-{stamp:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


# The whole run.


def run(
    settings: BenchSettings,
) -> tuple[list[LoadResult], dict[int, list[Measurement]]]:
    """Generate the orgs, then measure loading and throughput for each."""
    fixtures = {
        n: org_fixture(settings.results, n, settings.seed) for n in settings.sizes
    }
    loads = []
    for users, fixture in fixtures.items():
        note(f"loading {users:,} users in a process of its own")
        loads.append(load_in_own_process(fixture, users))

    measurements = {}
    with (
        ProcessPoolExecutor(1, mp_context=SPAWN, initializer=pin_client) as pool,
        server_process(None) as baseline,
    ):
        pool.submit(pin_client)  # NOTE: starts the worker while the servers load
        for users, fixture in fixtures.items():
            note(f"measuring throughput at {users:,} users")
            measurements[users] = measure_org(pool, baseline, fixture, settings)

    return loads, measurements


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the tables and write the JSON results."""
    settings = parse_args(argv)
    loads, measurements = run(settings)
    rows = [row for users, runs in measurements.items() for row in rows_of(users, runs)]
    path = write_results(settings, loads, measurements, rows)
    print(load_table(loads), throughput_table(rows), sep="\n\n")
    print("", *goals(loads, rows), f"results: {path}", sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
