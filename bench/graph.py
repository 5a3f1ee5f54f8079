"""How fast skillsync resolves nested group memberships, against two naive ways.

For each directory size, a generated SCIM snapshot (groups nested twelve levels
deep, with a few cycles) is read by four processes of their own, one after the
other, so that each peak resident memory belongs to one method:

- load: `SnapshotSource(path).read()` and nothing else;
- GroupGraph: `GroupGraph(directory)`, then `.resolve(granting)`;
- naive: a breadth-first walk over contained groups from each granting group,
  adding that granting group to the set of every user of every group reached;
- networkx: a `DiGraph` of containment, then `nx.descendants` of each granting
  group, collecting users the same way.

The granting groups (500, or every group when there are fewer) are drawn with a
seeded RNG, an equal share from each nesting level where the level has enough,
so that top-level groups and groups deep inside mix. Each method's answer is
reduced to a digest of every user's granting groups, and the run exits 1 when
the methods disagree. Run `python bench/graph.py --help` for the options.
Results print as tables and are written as JSON under `bench/results/`.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import random
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TypeVar

import networkx as nx

from simulator import RESULTS, SPAWN, machine, memory_mib, note, table
from skillsync.directory.interface import Directory
from skillsync.directory.snapshot import SnapshotSource
from skillsync.graph import GroupGraph, Memberships
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.simulator.generate import DIRECTORY_FILE, POLICY_FILE, generate_org

USERS_PER_GROUP = 10
DEPTH = 12
GRANTING = 500
MAX_SECONDS = 900.0

SPEEDUP_GOAL = 50.0
MEMORY_GOAL_MIB = 3e9 / 2**20  # 3 GB
GOAL_USERS = 1_000_000

Found = dict[DirectoryUserId, set[DirectoryGroupId]]
Message = TypeVar("Message")


# Settings.


@dataclass(frozen=True, slots=True)
class BenchSettings:
    """Which directories to resolve, for how many granting groups, how long."""

    sizes: tuple[int, ...]
    depth: int
    granting: int
    max_seconds: float
    seed: int
    results: Path
    quick: bool


def parse_args(argv: Sequence[str] | None) -> BenchSettings:
    """Read the command line; `--quick` changes the defaults, not explicit flags."""
    parser = argparse.ArgumentParser(
        prog="python bench/graph.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, action="append", help="directory size")
    parser.add_argument("--depth", type=int, default=DEPTH, help="nesting levels")
    parser.add_argument(
        "--granting", type=int, default=GRANTING, help="granting groups per directory"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=MAX_SECONDS,
        help="seconds each method may take, and each load apart from it",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the directories")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10k users")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    settings = BenchSettings(
        sizes=tuple(
            args.users or ([10_000] if quick else [10_000, 100_000, GOAL_USERS])
        ),
        depth=args.depth,
        granting=args.granting,
        max_seconds=args.max_seconds,
        seed=args.seed,
        results=args.results,
        quick=quick,
    )
    if min(settings.sizes) < 1 or settings.depth < 1 or settings.granting < 1:
        parser.error("--users, --depth and --granting must be at least 1")

    if settings.max_seconds <= 0:
        parser.error("--max-seconds must be more than 0")

    return settings


# Snapshots.


def directory_snapshot(results: Path, users: int, depth: int, seed: int) -> Path:
    """The snapshot of a directory of `users`, generated once and then reused.

    `generate_org` writes the policy last, so its presence marks a finished org.
    """
    out = results / "orgs" / f"users-{users}-seed-{seed}-depth-{depth}"
    if not (out / POLICY_FILE).exists():
        note(f"generating a directory of {users:,} users in {out}")
        groups = max(users // USERS_PER_GROUP, depth)
        generate_org(out, users=users, seed=seed, groups=groups, depth=depth)

    return out / DIRECTORY_FILE


# Granting groups.


def nesting_levels(directory: Directory) -> list[list[DirectoryGroupId]]:
    """Groups by their shortest distance from a top-level group."""
    tops = top_level_groups(directory)
    level = dict.fromkeys(tops, 0)
    queue = deque(tops)
    while queue:
        group = queue.popleft()
        for child in directory.groups[group].groups:
            if child not in level:
                level[child] = level[group] + 1
                queue.append(child)

    levels: list[list[DirectoryGroupId]] = [[] for _ in range(max(level.values()) + 1)]
    for group in directory.groups:
        levels[level[group]].append(group)

    return levels


def top_level_groups(directory: Directory) -> list[DirectoryGroupId]:
    """The groups that no group contains but those on a cycle with them."""
    condensed = nx.condensation(containment_digraph(directory))
    sources = {node for node in condensed if condensed.in_degree(node) == 0}
    component: dict[DirectoryGroupId, int] = condensed.graph["mapping"]
    return [group for group in directory.groups if component[group] in sources]


def choose_granting(
    levels: Sequence[Sequence[DirectoryGroupId]], count: int, seed: int
) -> tuple[DirectoryGroupId, ...]:
    """`count` distinct groups taken in turn from each nesting level, in an order
    shuffled by `seed`; a level with too few gives all it has."""
    rng = random.Random(seed)
    shuffled = [rng.sample(groups, len(groups)) for groups in levels]
    wanted = min(count, sum(len(groups) for groups in levels))
    chosen: list[DirectoryGroupId] = []
    while len(chosen) < wanted:
        for groups in shuffled:
            if groups and len(chosen) < wanted:
                chosen.append(groups.pop())

    return tuple(chosen)


def survey(directory: Directory, count: int, seed: int) -> Worked:
    """What the load job reports: the directory's counts and the granting groups
    every method is then given."""
    levels = nesting_levels(directory)
    granting = choose_granting(levels, count, seed)
    top = set(levels[0])
    facts = {
        "users": len(directory.users),
        "groups": len(directory.groups),
        "memberships": directory.memberships(),
        "findings": len(directory.findings),
        "levels": len(levels),
        "granting": len(granting),
        "granting_top_level": sum(1 for group in granting if group in top),
    }
    return Worked(0.0, 0.0, 0.0, 0, None, None, facts, granting)


# The methods.


@dataclass(frozen=True, slots=True)
class Timed:
    """What a method found, the seconds of its two steps, and what it counted."""

    build_seconds: float
    resolve_seconds: float
    answer: Memberships | Found
    facts: dict[str, int]


def by_group_graph(directory: Directory, granting: Sequence[DirectoryGroupId]) -> Timed:
    """skillsync's own resolution: condense the graph, then one pass of bitsets."""
    started = time.perf_counter()
    graph = GroupGraph(directory)
    built = time.perf_counter()
    memberships = graph.resolve(granting)
    resolved = time.perf_counter()
    cycles = graph.cycles()
    facts = {
        "cycles": len(cycles),
        "groups_on_cycles": sum(len(c.groups) for c in cycles),
    }
    return Timed(built - started, resolved - built, memberships, facts)


def by_naive_walk(directory: Directory, granting: Sequence[DirectoryGroupId]) -> Timed:
    """A breadth-first walk from each granting group, collecting users as it goes."""
    started = time.perf_counter()
    found: Found = defaultdict(set)
    visits = 0
    for root in granting:
        reached = contained_groups(directory, root)
        collect_users(directory, found, root, reached)
        visits += len(reached)

    return Timed(0.0, time.perf_counter() - started, found, {"visits": visits})


def contained_groups(
    directory: Directory, root: DirectoryGroupId
) -> set[DirectoryGroupId]:
    """`root` and every group it contains at any depth, breadth first."""
    seen = {root}
    queue = deque([root])
    while queue:
        for child in directory.groups[queue.popleft()].groups:
            if child not in seen:
                seen.add(child)
                queue.append(child)

    return seen


def collect_users(
    directory: Directory,
    found: Found,
    root: DirectoryGroupId,
    reached: Iterable[DirectoryGroupId],
) -> None:
    """Add `root` to the granting groups of every user of the `reached` groups."""
    for group in reached:
        for user in directory.groups[group].users:
            found[user].add(root)


def by_networkx(directory: Directory, granting: Sequence[DirectoryGroupId]) -> Timed:
    """A networkx `DiGraph` of containment, then the descendants of each group."""
    started = time.perf_counter()
    graph = containment_digraph(directory)
    built = time.perf_counter()
    found: Found = defaultdict(set)
    visits = 0
    for root in granting:
        reached = nx.descendants(graph, root) | {root}
        collect_users(directory, found, root, reached)
        visits += len(reached)

    resolved = time.perf_counter()
    return Timed(built - started, resolved - built, found, {"visits": visits})


def containment_digraph(directory: Directory) -> nx.DiGraph[DirectoryGroupId]:
    """An edge from each group to each group it contains."""
    graph: nx.DiGraph[DirectoryGroupId] = nx.DiGraph()
    graph.add_nodes_from(directory.groups)
    graph.add_edges_from(
        (group.id, child)
        for group in directory.groups.values()
        for child in group.groups
    )
    return graph


RESOLVERS: dict[str, Callable[[Directory, Sequence[DirectoryGroupId]], Timed]] = {
    "GroupGraph": by_group_graph,
    "naive": by_naive_walk,
    "networkx": by_networkx,
}


# Answers, reduced so that processes can compare them.


@dataclass(frozen=True, slots=True)
class Answer:
    """A method's answer in brief: users with a granting group, (user, group)
    pairs, a digest of every user's groups, and each group's count of users."""

    users: int
    pairs: int
    digest: str
    per_group: tuple[int, ...]


def decode(
    answer: Memberships | Found,
) -> Iterator[tuple[DirectoryUserId, Iterable[DirectoryGroupId]]]:
    """Each user and its granting groups, whichever form the method gave."""
    if isinstance(answer, Memberships):
        return ((user, answer.groups_of(user)) for user in answer.bits)

    return iter(answer.items())


def reduce_answer(
    answer: Memberships | Found, granting: Sequence[DirectoryGroupId]
) -> Answer:
    """Digest every user's granting groups in one canonical order."""
    index = {group: number for number, group in enumerate(granting)}
    rows = sorted(
        (user, sorted(index[group] for group in groups))
        for user, groups in decode(answer)
    )
    rows = [(user, numbers) for user, numbers in rows if numbers]
    digest = hashlib.blake2b("\n".join(granting).encode(), digest_size=16)
    per_group = [0] * len(granting)
    for user, numbers in rows:
        digest.update(f"\n{user}:{','.join(map(str, numbers))}".encode())
        for number in numbers:
            per_group[number] += 1

    return Answer(len(rows), sum(per_group), digest.hexdigest(), tuple(per_group))


# Inside a method's process.


@dataclass(frozen=True, slots=True)
class Loaded:
    """What reading the snapshot cost a process: seconds and resident MiB."""

    seconds: float
    rss_before_mib: float
    peak_rss_mib: float
    rss_after_mib: float


@dataclass(frozen=True, slots=True)
class Worked:
    """What a method cost after the load, what it found, and what it counted.

    `peak_rss_mib` is the peak since the load ended, or None where the peak
    cannot be reset; `gc_seconds` is time the cyclic collector ran meanwhile.
    """

    build_seconds: float
    resolve_seconds: float
    gc_seconds: float
    gc_collections: int
    peak_rss_mib: float | None
    answer: Answer | None
    facts: dict[str, int]
    granting: tuple[DirectoryGroupId, ...] = ()

    @property
    def seconds(self) -> float:
        """Both steps together."""
        return self.build_seconds + self.resolve_seconds


@dataclass(frozen=True, slots=True)
class Job:
    """One method over one snapshot: the load job chooses `count` granting
    groups with `seed`, and the others are given them as `granting`."""

    method: str
    snapshot: Path
    granting: tuple[DirectoryGroupId, ...] = ()
    count: int = 0
    seed: int = 0


@dataclass(slots=True)
class CollectorClock:
    """Seconds the cyclic garbage collector runs while the clock is attached."""

    seconds: float = 0.0
    collections: int = 0
    started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """`gc.callbacks` calls this as each collection starts and stops."""
        if phase == "start":
            self.started = time.perf_counter()
            return

        self.seconds += time.perf_counter() - self.started
        self.collections += 1


@contextmanager
def collector_clock() -> Iterator[CollectorClock]:
    """Time the cyclic garbage collector for the block."""
    clock = CollectorClock()
    gc.callbacks.append(clock)
    try:
        yield clock
    finally:
        gc.callbacks.remove(clock)


def reset_peak() -> bool:
    """Start this process's `VmHWM` afresh from its present size, where Linux
    allows it; False where it does not."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False

    return True


def load(snapshot: Path) -> tuple[Directory, Loaded]:
    """Read the snapshot, timing it and reading the memory around it."""
    before = memory_mib("VmRSS")
    started = time.perf_counter()
    directory = SnapshotSource(snapshot).read()
    seconds = time.perf_counter() - started
    loaded = Loaded(seconds, before, memory_mib("VmHWM"), memory_mib("VmRSS"))
    return directory, loaded


def work(job: Job, directory: Directory) -> Worked:
    """Run the job's method on a loaded directory, timing it and the collector."""
    fresh = reset_peak()
    with collector_clock() as clock:
        timed = RESOLVERS[job.method](directory, job.granting)

    peak = memory_mib("VmHWM") if fresh else None
    answer = reduce_answer(timed.answer, job.granting)
    return Worked(
        timed.build_seconds,
        timed.resolve_seconds,
        clock.seconds,
        clock.collections,
        peak,
        answer,
        timed.facts,
    )


def run_job(job: Job, sender: Connection) -> None:
    """Process body: load, say so, run the method, and send what it found."""
    directory, loaded = load(job.snapshot)
    sender.send(loaded)
    if job.method == "load":
        sender.send(survey(directory, job.count, job.seed))
    else:
        sender.send(work(job, directory))

    sender.close()


# Running processes.


@dataclass(frozen=True, slots=True)
class Run:
    """One method's process at one size; None where that step timed out."""

    users: int
    method: str
    loaded: Loaded | None
    worked: Worked | None

    @property
    def status(self) -> str:
        """ "ok", or which step ran out of time."""
        if self.loaded is None:
            return "timed out loading"

        return "ok" if self.worked is not None else "timed out"


def run_in_own_process(users: int, job: Job, max_seconds: float) -> Run:
    """Run `job` in a new process, giving up on a step after `max_seconds`."""
    receiver, sender = SPAWN.Pipe(duplex=False)
    process = SPAWN.Process(target=run_job, args=(job, sender), daemon=True)
    process.start()
    sender.close()
    try:
        loaded = receive(receiver, max_seconds, Loaded, process)
        worked = receive(receiver, max_seconds, Worked, process) if loaded else None
    finally:
        receiver.close()
        stop(process)

    return Run(users, job.method, loaded, worked)


def receive(
    receiver: Connection, seconds: float, kind: type[Message], process: BaseProcess
) -> Message | None:
    """The next message of the process, or None when it takes over `seconds`."""
    if not receiver.poll(seconds):
        return None

    try:
        message = receiver.recv()
    except EOFError:
        raise RuntimeError(
            f"a benchmark process exited with code {process.exitcode} before "
            "answering; its traceback is above"
        ) from None

    if not isinstance(message, kind):
        raise TypeError(f"expected a {kind.__name__}, got {message!r}")

    return message


def stop(process: BaseProcess) -> None:
    """Let a finished process exit, and end one that is still working."""
    process.join(5)
    if process.is_alive():
        process.terminate()
        process.join(10)

    if process.is_alive():
        process.kill()
        process.join(10)


def measure_size(users: int, snapshot: Path, settings: BenchSettings) -> list[Run]:
    """Every method over one snapshot, each in a process of its own, given the
    granting groups the load process chose; none if it did not finish."""
    first = Job("load", snapshot, count=settings.granting, seed=settings.seed)
    runs = [run_method(users, first, settings.max_seconds)]
    chosen = runs[0].worked
    if chosen is None:
        return runs

    for method in RESOLVERS:
        job = Job(method, snapshot, chosen.granting)
        runs.append(run_method(users, job, settings.max_seconds))

    return runs


def run_method(users: int, job: Job, max_seconds: float) -> Run:
    """One job in a process of its own, telling the person waiting."""
    note(f"{job.method} at {users:,} users in a process of its own")
    run = run_in_own_process(users, job, max_seconds)
    if run.status != "ok":
        note(f"{job.method} at {users:,} users {run.status}")

    return run


# Agreement.


def disagreements(runs: Sequence[Run]) -> list[str]:
    """How each method's answer differs from GroupGraph's, one line per method."""
    answers = {
        run.method: run.worked.answer
        for run in runs
        if run.worked is not None and run.worked.answer is not None
    }
    reference = answers.get("GroupGraph")
    if reference is None:
        return []

    return [
        f"{method} disagrees with GroupGraph at {runs[0].users:,} users: "
        + difference(answer, reference)
        for method, answer in answers.items()
        if answer != reference
    ]


def difference(answer: Answer, reference: Answer) -> str:
    """What differs between two answers, in a few words."""
    groups = [
        str(number)
        for number, (got, want) in enumerate(
            zip(answer.per_group, reference.per_group, strict=True)
        )
        if got != want
    ]
    return (
        f"{answer.users:,} users and {answer.pairs:,} pairs against "
        f"{reference.users:,} and {reference.pairs:,}; granting groups numbered "
        f"{', '.join(groups[:10]) or 'none'} differ in their count of users"
    )


def unchecked(runs: Sequence[Run]) -> list[str]:
    """The methods whose answer could not be compared, and why."""
    return [
        f"{run.method} at {run.users:,} users not compared: {run.status}"
        for run in runs
        if run.method != "load" and run.status != "ok"
    ]


# Tables, goals and growth.


def find(runs: Sequence[Run], users: int, method: str) -> Run | None:
    """The run of one method at one size."""
    return next((r for r in runs if (r.users, r.method) == (users, method)), None)


def directory_table(runs: Sequence[Run], sizes: Sequence[int]) -> str:
    """The directories' counts, as the load processes found them."""
    headers = ["users", "groups", "memberships", "levels", "cycles"]
    headers += ["groups on cycles", "granting (top-level)", "naive visits", "pairs"]
    rows = [directory_row(runs, users) for users in sizes]
    return table(headers, rows)


def directory_row(runs: Sequence[Run], users: int) -> list[str]:
    """One directory's counts; blanks where the process that counts timed out."""
    facts = {}
    for run in runs:
        if run.users == users and run.worked is not None:
            facts.update(run.worked.facts)

    graph = find(runs, users, "GroupGraph")
    answer = graph.worked.answer if graph and graph.worked else None
    shown = {key: f"{value:,}" for key, value in facts.items()}
    granting = f"{shown.get('granting', '')} ({shown.get('granting_top_level', '')})"
    return [
        shown.get("users", ""),
        shown.get("groups", ""),
        shown.get("memberships", ""),
        shown.get("levels", ""),
        shown.get("cycles", ""),
        shown.get("groups_on_cycles", ""),
        granting,
        shown.get("visits", ""),
        f"{answer.pairs:,}" if answer else "",
    ]


def method_table(runs: Sequence[Run]) -> str:
    """Each method's seconds and memory, with its time against GroupGraph's."""
    headers = ["users", "method", "load s", "build s", "resolve s", "total s"]
    headers += ["vs GroupGraph", "GC s", "peak RSS MiB", "peak after load MiB"]
    return table(headers, [method_row(runs, run) for run in runs])


def method_row(runs: Sequence[Run], run: Run) -> list[str]:
    """One method at one size; a timed-out step shows as such."""
    loaded, worked = run.loaded, run.worked
    cells = [f"{run.users:,}", run.method, seconds(loaded.seconds) if loaded else ""]
    if run.method == "load" or worked is None:
        status = "" if run.status == "ok" else run.status
        peak = f"{loaded.peak_rss_mib:,.0f}" if loaded else ""
        return [*cells, "", "", status, "", "", peak, ""]

    graph = find(runs, run.users, "GroupGraph")
    base = graph.worked.seconds if graph and graph.worked else None
    return [
        *cells,
        seconds(worked.build_seconds) if run.method != "naive" else "",
        seconds(worked.resolve_seconds),
        seconds(worked.seconds),
        f"{worked.seconds / base:.1f}x" if base else "",
        seconds(worked.gc_seconds),
        f"{peak_of(run):,.0f}",
        "" if worked.peak_rss_mib is None else f"{worked.peak_rss_mib:,.0f}",
    ]


def seconds(value: float) -> str:
    """Seconds to two decimals, or three below a tenth."""
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def peak_of(run: Run) -> float:
    """A process's peak resident memory, loading included."""
    peaks = [run.loaded.peak_rss_mib if run.loaded else 0.0]
    if run.worked is not None and run.worked.peak_rss_mib is not None:
        peaks.append(run.worked.peak_rss_mib)

    return max(peaks)


def goals(runs: Sequence[Run], settings: BenchSettings) -> list[str]:
    """The project's goals, each with the figure that meets or misses it."""
    lines = [load_goal(runs, users) for users in settings.sizes]
    if GOAL_USERS not in settings.sizes:
        return [
            *lines,
            f"not measured: the speed and memory goals at {GOAL_USERS:,} users "
            "(run without --quick)",
        ]

    return [*lines, speedup_goal(runs, settings.max_seconds), memory_goal(runs)]


def load_goal(runs: Sequence[Run], users: int) -> str:
    """Whether building and resolving took no longer than loading, in one process."""
    graph = find(runs, users, "GroupGraph")
    if graph is None or graph.loaded is None or graph.worked is None:
        return f"MISSED: GroupGraph did not finish at {users:,} users"

    resolution, loading = graph.worked.seconds, graph.loaded.seconds
    met = "met" if resolution <= loading else "MISSED"
    return (
        f"{met}: at {users:,} users, resolution takes {resolution:.2f} s against "
        f"{loading:.2f} s to load (goal: no longer than loading)"
    )


def speedup_goal(runs: Sequence[Run], max_seconds: float) -> str:
    """Whether resolution beat the naive walk fifty times over at the goal size;
    a walk that timed out counts as taking `max_seconds`, a lower bound."""
    graph = find(runs, GOAL_USERS, "GroupGraph")
    naive = find(runs, GOAL_USERS, "naive")
    if graph is None or graph.worked is None or naive is None or not naive.loaded:
        return f"MISSED: GroupGraph or naive did not run at {GOAL_USERS:,} users"

    walk = naive.worked.seconds if naive.worked else max_seconds
    ratio = walk / graph.worked.seconds
    at_least = "" if naive.worked else "at least "
    met = "met" if ratio >= SPEEDUP_GOAL else "MISSED"
    return (
        f"{met}: at {GOAL_USERS:,} users, resolution is {at_least}{ratio:.1f} times "
        f"faster than the naive walk (goal: at least {SPEEDUP_GOAL:.0f} times)"
    )


def memory_goal(runs: Sequence[Run]) -> str:
    """Whether the GroupGraph process stayed under 3 GB at the goal size, with
    the peaks of its two phases apart."""
    graph = find(runs, GOAL_USERS, "GroupGraph")
    if graph is None or graph.loaded is None or graph.worked is None:
        return f"MISSED: GroupGraph did not finish at {GOAL_USERS:,} users"

    peak = peak_of(graph)
    met = "met" if peak < MEMORY_GOAL_MIB else "MISSED"
    after = graph.worked.peak_rss_mib
    phases = f", loading {graph.loaded.peak_rss_mib:,.0f} MiB"
    phases += "" if after is None else f", resolving {after:,.0f} MiB"
    return (
        f"{met}: at {GOAL_USERS:,} users, the GroupGraph process peaks at "
        f"{peak:,.0f} MiB{phases} (goal: under 3 GB, {MEMORY_GOAL_MIB:,.0f} MiB)"
    )


def growth(runs: Sequence[Run], sizes: Sequence[int]) -> list[str]:
    """How load and resolution time grow from each size to the next, as seen in
    the GroupGraph processes."""
    lines = []
    for small, large in itertools.pairwise(sorted(sizes)):
        first = seconds_of(find(runs, small, "GroupGraph"))
        second = seconds_of(find(runs, large, "GroupGraph"))
        if first and second:
            lines.append(
                f"growth: from {small:,} to {large:,} users ({large / small:.0f}x), "
                f"load {second[0] / first[0]:.1f}x, "
                f"resolution {second[1] / first[1]:.1f}x"
            )

    return lines


def seconds_of(run: Run | None) -> tuple[float, float] | None:
    """A finished run's load and resolution seconds."""
    if run is None or run.loaded is None or run.worked is None:
        return None

    return run.loaded.seconds, run.worked.seconds


# Results.


def write_results(
    settings: BenchSettings, runs: Sequence[Run], verdicts: Sequence[str]
) -> Path:
    """Write every figure, with the settings and machine, as one JSON file."""
    stamp = datetime.now(UTC)
    report = {
        "measured_at": stamp.isoformat(timespec="seconds"),
        "command": ["python", "bench/graph.py", *sys.argv[1:]],
        "settings": {**asdict(settings), "results": str(settings.results)},
        "machine": {**machine(), "networkx": nx.__version__},
        "load_average_at_end": os.getloadavg(),
        "runs": [{**asdict(run), "status": run.status} for run in runs],
        "goals": goals(runs, settings),
        "growth": growth(runs, settings.sizes),
        "agreement": list(verdicts),
    }
    settings.results.mkdir(parents=True, exist_ok=True)
    path = settings.results / f"graph-{stamp:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


# The whole run.


def run(settings: BenchSettings) -> list[Run]:
    """Generate the directories, then run every method over each."""
    snapshots = {
        users: directory_snapshot(
            settings.results, users, settings.depth, settings.seed
        )
        for users in settings.sizes
    }
    runs = []
    for users, snapshot in snapshots.items():
        runs += measure_size(users, snapshot, settings)

    return runs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the tables, and exit 1 if the methods disagree."""
    settings = parse_args(argv)
    runs = run(settings)
    by_size = [[r for r in runs if r.users == users] for users in settings.sizes]
    wrong = [line for size in by_size for line in disagreements(size)]
    skipped = [line for size in by_size for line in unchecked(size)]
    verdicts = wrong + skipped or ["every method agrees with GroupGraph"]
    path = write_results(settings, runs, verdicts)
    print(directory_table(runs, settings.sizes), method_table(runs), sep="\n\n")
    print("", *goals(runs, settings), *growth(runs, settings.sizes), sep="\n")
    print(*verdicts, f"results: {path}", sep="\n")
    if wrong:
        print("", *(f"MISMATCH: {line}" for line in wrong), sep="\n", file=sys.stderr)
        return 1

    return 0


if __name__ == "__main__":
    sys.exit(main())
