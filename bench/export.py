"""How close `skillsync org export` comes to the fewest calls and the rate limit.

For each org size, the simulator serves a generated org from a process of its
own and the export runs in this one, through `export_org_file`:

- unlimited: one export with no rate limit to speak of, whose wall time is the
  time the pages take to travel and be read (the transfer allowance);
- limited: one export at a fixed per-token limit R, given to both the simulator
  and the client, chosen so that the export needs two minutes' budgets; its
  wall time is set against the rolling-window floor plus the allowance.

Each export is checked against the minimum number of calls worked out from the
fixture and against the simulator's own count by route, and the org it wrote is
loaded back and compared with the org served. Run `python bench/export.py
--help` for the options. Results print as tables and are written as JSON under
`bench/results/`; a mismatched export makes the run exit 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from simulator import (
    HOST,
    NO_RATE_LIMIT,
    RESULTS,
    SPAWN,
    Server,
    machine,
    note,
    org_fixture,
    table,
)
from skillsync.fixture import Org, load_org
from skillsync.genesys.api import PAGE_SIZE
from skillsync.genesys.connection import Connection, Credentials
from skillsync.genesys.export import export_org_file
from skillsync.simulator.app import SimSettings, open_fixture
from skillsync.simulator.server import free_port, serve

WINDOW_SECONDS = 60.0
TOKEN_ROUTE = "POST /oauth/token"
TIME_GOAL_MARGIN = 0.10  # a limited export may take 10% longer than its target
CREDENTIALS = Credentials("demo-client", "demo-secret")


# Settings.


@dataclass(frozen=True, slots=True)
class BenchSettings:
    """Which orgs to export and whether to run the minute-long limited exports."""

    sizes: tuple[int, ...]
    rate_limit: int | None
    limited: bool
    seed: int
    results: Path
    quick: bool


def parse_args(argv: Sequence[str] | None) -> BenchSettings:
    """Read the command line; `--quick` changes the defaults, not explicit flags."""
    parser = argparse.ArgumentParser(
        prog="python bench/export.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, action="append", help="org size")
    parser.add_argument(
        "--rate-limit",
        type=int,
        help="requests a minute in the limited runs (default: half the minimum "
        "calls of each org, rounded up, so that the floor is one minute)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the orgs")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 10k users, unlimited only"
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick
    settings = BenchSettings(
        sizes=tuple(args.users or ([10_000] if quick else [10_000, 100_000])),
        rate_limit=args.rate_limit,
        limited=not quick,
        seed=args.seed,
        results=args.results,
        quick=quick,
    )
    if min(settings.sizes) < 1 or (settings.rate_limit or 1) < 1:
        parser.error("--users and --rate-limit must be at least 1")

    return settings


# What an export should cost.


@dataclass(frozen=True, slots=True)
class Minimum:
    """The fewest API requests an export of one org needs, by route; the token
    request is not among them, since the rate limit does not count it."""

    users: int
    by_route: dict[str, int]

    @property
    def total(self) -> int:
        """All of them."""
        return sum(self.by_route.values())


def pages(count: int) -> int:
    """Pages of a listing of `count` entities; an empty listing still has one."""
    return max(1, math.ceil(count / PAGE_SIZE))


def minimum_calls(org: Org) -> Minimum:
    """One listing each of skills, languages, users of every state and groups;
    no group's members need reading when every user's expansions came."""
    return Minimum(
        users=len(org.users),
        by_route={
            "GET /api/v2/routing/skills": pages(len(org.skills)),
            "GET /api/v2/routing/languages": pages(len(org.languages)),
            "GET /api/v2/users": pages(len(org.users)),
            "GET /api/v2/groups": pages(len(org.groups)),
        },
    )


def rate_for(minimum: Minimum, override: int | None) -> int:
    """The limit of a limited run: one that the export must wait out once."""
    return override or max(1, math.ceil(minimum.total / 2))


def rolling_floor(calls: int, rate_limit: int) -> float:
    """Seconds `calls` need at best when each rolling minute allows `rate_limit`
    and a whole minute's budget may go at once: the last burst starts after
    as many minutes as there are bursts before it."""
    return max(0, math.ceil(calls / rate_limit) - 1) * WINDOW_SECONDS


def naive_floor(calls: int, rate_limit: int) -> float:
    """Seconds `calls` take when spread evenly at `rate_limit` a minute."""
    return calls / rate_limit * WINDOW_SECONDS


# The simulator's process.


def serve_limited(fixture: Path, port: int, rate_limit: int) -> None:
    """Process body of the simulator: serve `fixture` at `rate_limit` a minute."""
    serve(open_fixture(fixture, SimSettings(rate_limit=rate_limit)), HOST, port)


@contextmanager
def simulator_process(fixture: Path, rate_limit: int) -> Iterator[Server]:
    """A simulator of `fixture` in a new process, answering once this yields."""
    port = free_port(HOST)
    process = SPAWN.Process(
        target=serve_limited, args=(fixture, port, rate_limit), daemon=True
    )
    process.start()
    try:
        yield Server(f"http://{HOST}:{port}", port, process).wait()
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(10)


def server_stats(server: Server) -> tuple[dict[str, int], dict[str, int]]:
    """The simulator's requests by route and answers by status."""
    answer = httpx.get(server.url + "/_sim/stats", timeout=10)
    answer.raise_for_status()
    body = answer.json()
    return dict(body["requests"]), dict(body["statuses"])


# One export.


@dataclass(slots=True)
class Recorder:
    """An observer that keeps the phases and waits an export reports."""

    phases: list[str] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)

    def phase(self, name: str, total: int | None = None) -> None:
        """Keep the phase's name."""
        self.phases.append(name)

    def advance(self, items: int = 1) -> None:
        """Progress within a phase says nothing this benchmark needs."""

    def waiting(self, seconds: float, reason: str) -> None:
        """Keep the wait, which only a retry or a 429 reports."""
        self.waits.append(f"{seconds:.1f} s: {reason}")


@dataclass(frozen=True, slots=True)
class ExportRun:
    """One export of one org from one simulator: calls, time and correctness.

    `rate_limit` is None for the unlimited run; `requests` and `statuses` are
    what the simulator counted, the token request included.
    """

    users: int
    rate_limit: int | None
    calls: int
    minimum: int
    seconds: float
    requests: dict[str, int]
    statuses: dict[str, int]
    phases: list[str]
    waits: list[str]
    differences: list[str]

    @property
    def server_calls(self) -> int:
        """API requests the simulator saw, the token request left out."""
        return sum(n for route, n in self.requests.items() if route != TOKEN_ROUTE)


def connection_to(server: Server) -> Connection:
    """A connection to the simulator, which serves its own token endpoint."""
    return Connection(api_url=server.url, login_url=server.url, credentials=CREDENTIALS)


def export_once(
    fixture: Path, served: Org, minimum: Minimum, rate_limit: int | None
) -> ExportRun:
    """Serve `fixture`, export it at `rate_limit` (None: unlimited) and check it."""
    limit = rate_limit or NO_RATE_LIMIT
    recorder = Recorder()
    with (
        simulator_process(fixture, limit) as server,
        tempfile.TemporaryDirectory(prefix="skillsync-export-") as scratch,
    ):
        started = time.perf_counter()
        result = export_org_file(
            connection_to(server),
            Path(scratch) / "org.json",
            rate_limit=limit,
            observer=recorder,
        )
        seconds = time.perf_counter() - started
        requests, statuses = server_stats(server)
        differences = compare(served, load_org(result.path))

    return ExportRun(
        users=minimum.users,
        rate_limit=rate_limit,
        calls=result.calls,
        minimum=minimum.total,
        seconds=seconds,
        requests=requests,
        statuses=statuses,
        phases=recorder.phases,
        waits=recorder.waits,
        differences=differences,
    )


# Correctness.


def content(org: Org) -> dict[str, dict[str, object]]:
    """What an export must reproduce, keyed by id and free of listing order:
    catalogs, users with their skills and languages, groups' member sets."""
    return {
        "skills": {s.id: (s.name, s.state) for s in org.skills},
        "languages": {x.id: (x.name, x.state) for x in org.languages},
        "users": {
            u.id: (
                u.name,
                u.email,
                u.username,
                u.state,
                {s.id: s.proficiency for s in u.skills},
                {x.id: x.proficiency for x in u.languages},
            )
            for u in org.users
        },
        "groups": {g.id: (g.name, frozenset(g.members)) for g in org.groups},
    }


def compare(served: Org, exported: Org) -> list[str]:
    """One line per section in which the export differs from the served org."""
    wanted, found = content(served), content(exported)
    return [
        line
        for section in wanted
        if (line := section_difference(section, wanted[section], found[section]))
    ]


def section_difference(
    section: str, wanted: Mapping[str, object], found: Mapping[str, object]
) -> str:
    """How one section differs, with an example id; empty when it does not."""
    missing = wanted.keys() - found.keys()
    extra = found.keys() - wanted.keys()
    changed = [key for key in wanted.keys() & found.keys() if wanted[key] != found[key]]
    if not missing and not extra and not changed:
        return ""

    example = min([*missing, *extra, *changed])
    return (
        f"{section}: {len(missing)} missing, {len(extra)} extra, "
        f"{len(changed)} different (for example {example!r})"
    )


# Summaries and output.


@dataclass(frozen=True, slots=True)
class Row:
    """One export set against its floors; the floors are 0 for an unlimited run.

    `target` is the rolling floor plus `allowance`, the unlimited export's wall
    time at the same size.
    """

    users: int
    rate_limit: int | None
    calls: int
    server_calls: int
    minimum: int
    rejected: int
    seconds: float
    rolling_floor: float
    naive_floor: float
    allowance: float
    target: float


def row_of(run: ExportRun, allowance: float) -> Row:
    """The figures of one export; the floors count the minimum calls."""
    rate = run.rate_limit
    floor = 0.0 if rate is None else rolling_floor(run.minimum, rate)
    return Row(
        users=run.users,
        rate_limit=rate,
        calls=run.calls,
        server_calls=run.server_calls,
        minimum=run.minimum,
        rejected=run.statuses.get("429", 0),
        seconds=run.seconds,
        rolling_floor=floor,
        naive_floor=0.0 if rate is None else naive_floor(run.minimum, rate),
        allowance=allowance,
        target=floor + allowance,
    )


def rows_of(runs: Sequence[ExportRun]) -> list[Row]:
    """Rows of every run, each limited run given its size's unlimited time."""
    allowances = {r.users: r.seconds for r in runs if r.rate_limit is None}
    return [row_of(run, allowances.get(run.users, 0.0)) for run in runs]


def export_table(rows: Sequence[Row]) -> str:
    """Calls and wall time of each export against its floors."""
    headers = ["users", "limit/min", "calls", "server saw", "minimum", "429s"]
    headers += ["wall s", "rolling floor s", "naive floor s", "allowance s"]
    headers += ["target s", "vs target"]
    body = [
        [
            f"{r.users:,}",
            "unlimited" if r.rate_limit is None else str(r.rate_limit),
            str(r.calls),
            str(r.server_calls),
            str(r.minimum),
            str(r.rejected),
            f"{r.seconds:.2f}",
            f"{r.rolling_floor:.0f}",
            f"{r.naive_floor:.1f}",
            f"{r.allowance:.2f}",
            f"{r.target:.2f}",
            "" if r.rate_limit is None else f"{r.seconds / r.target:.3f}",
        ]
        for r in rows
    ]
    return table(headers, body)


def route_table(runs: Sequence[ExportRun], minima: Mapping[int, Minimum]) -> str:
    """Requests the simulator counted by route, against the minimum for each."""
    headers = ["users", "limit/min", "route", "requests", "minimum"]
    body = []
    for run in runs:
        expected = {TOKEN_ROUTE: 1, **minima[run.users].by_route}
        limit = "unlimited" if run.rate_limit is None else str(run.rate_limit)
        for route in sorted(expected.keys() | run.requests.keys()):
            counted = str(run.requests.get(route, 0))
            body.append(
                [f"{run.users:,}", limit, route, counted, str(expected.get(route, 0))]
            )

    return table(headers, body)


def goals(rows: Sequence[Row]) -> list[str]:
    """The goals, each with the figure that meets or misses it."""
    lines = []
    for r in rows:
        limit = "unlimited" if r.rate_limit is None else f"{r.rate_limit}/min"
        met = "met" if r.calls == r.minimum == r.server_calls else "MISSED"
        lines.append(
            f"{met}: {r.users:,} users at {limit} exported in {r.calls} calls, "
            f"{r.server_calls} seen by the simulator (goal: exactly {r.minimum})"
        )
        if r.rate_limit is not None:
            lines.append(time_goal(r))

    return lines


def time_goal(r: Row) -> str:
    """The wall-time goal of a limited export."""
    ceiling = r.target * (1 + TIME_GOAL_MARGIN)
    met = "met" if r.seconds <= ceiling else "MISSED"
    return (
        f"{met}: {r.users:,} users at {r.rate_limit}/min took {r.seconds:.1f} s "
        f"(goal: within {TIME_GOAL_MARGIN:.0%} of {r.rolling_floor:.0f} s floor "
        f"+ {r.allowance:.1f} s transfer = {r.target:.1f} s, so at most "
        f"{ceiling:.1f} s; the naive floor is {r.naive_floor:.1f} s)"
    )


def verdicts(runs: Sequence[ExportRun]) -> list[str]:
    """Whether each export wrote the org it was served."""
    lines = []
    for run in runs:
        limit = "unlimited" if run.rate_limit is None else f"{run.rate_limit}/min"
        where = f"the export of {run.users:,} users at {limit}"
        if not run.differences:
            lines.append(f"verified: {where} equals the served org")
            continue

        lines += [f"MISMATCH: {where}: {line}" for line in run.differences]

    return lines


def write_results(
    settings: BenchSettings, runs: Sequence[ExportRun], rows: Sequence[Row]
) -> Path:
    """Write every figure, with the settings and machine, as one JSON file."""
    stamp = datetime.now(UTC)
    report = {
        "measured_at": stamp.isoformat(timespec="seconds"),
        "command": ["python", "bench/export.py", *sys.argv[1:]],
        "settings": {**asdict(settings), "results": str(settings.results)},
        "machine": machine(),
        "exports": [asdict(r) for r in rows],
        "runs": [asdict(r) for r in runs],
        "goals": goals(rows),
        "verdicts": verdicts(runs),
    }
    settings.results.mkdir(parents=True, exist_ok=True)
    path = settings.results / f"export-{stamp:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


# The whole run.


def run(settings: BenchSettings) -> tuple[list[ExportRun], dict[int, Minimum]]:
    """Generate the orgs, then export each without a limit and, unless quick,
    at its limit."""
    runs = []
    minima = {}
    for users in settings.sizes:
        fixture = org_fixture(settings.results, users, settings.seed)
        served = load_org(fixture)
        minimum = minimum_calls(served)
        minima[minimum.users] = minimum
        note(f"exporting {users:,} users without a rate limit")
        runs.append(export_once(fixture, served, minimum, None))
        if settings.limited:
            rate = rate_for(minimum, settings.rate_limit)
            note(f"exporting {users:,} users at {rate} requests a minute")
            runs.append(export_once(fixture, served, minimum, rate))

    return runs, minima


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the tables and write the JSON results; exit 1
    when an export differs from the org it was served."""
    settings = parse_args(argv)
    runs, minima = run(settings)
    rows = rows_of(runs)
    path = write_results(settings, runs, rows)
    print(export_table(rows), route_table(runs, minima), sep="\n\n")
    print("", *goals(rows), *verdicts(runs), f"results: {path}", sep="\n")
    return 1 if any(run.differences for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
