"""How many calls an apply makes, against the fewest the API allows.

Generates an org (10,000 users by default), serves it from the simulator on a
local port with the rate limit lifted (calls, not waits, are measured here),
plans the generated policy over the generated directory, applies it, and plans
again. It reports the writes apply made, as the simulator counted them, against
the minimum the plan implies (`Plan.writes`): per changed user, one PATCH bulk
per 50 skills and per 50 languages set, and one DELETE per item removed.

Run `python bench/apply.py --help` for the options.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from skillsync.apply import ApplyOptions, apply_policy
from skillsync.directory.snapshot import SnapshotSource
from skillsync.fixture import load_org
from skillsync.genesys.connection import Connection, Credentials
from skillsync.simulator.app import SimSettings, create_app
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import running_server
from skillsync.world import Target, plan_policy

WRITES = ("PATCH ", "DELETE ", "PUT ", "POST /api")
RESULTS = Path(__file__).parent / "results"


def counted(url: str) -> dict[str, int]:
    """The simulator's requests by route."""
    answer: dict[str, dict[str, int]] = httpx.get(f"{url}/_sim/stats").json()
    return answer["requests"]


def writes_of(requests: dict[str, int]) -> int:
    """Write calls among counted requests."""
    return sum(n for route, n in requests.items() if route.startswith(WRITES))


def measure(users: int, seed: int) -> dict[str, object]:
    """Generate, serve, plan, apply and plan again; the figures."""
    with tempfile.TemporaryDirectory() as scratch:
        generated = generate_org(Path(scratch), users=users, seed=seed)
        app = create_app(load_org(generated.org), SimSettings(rate_limit=10**9))
        source = SnapshotSource(generated.directory)
        with running_server(app) as url:
            credentials = Credentials("demo-client", "demo-secret")
            target = Target(Connection(url, url, credentials), rate_limit=10**9)
            plan = plan_policy(generated.policy, source, target).plan
            before = writes_of(counted(url))
            journal = Path(scratch) / "journal.jsonl"
            options = ApplyOptions(lambda _: True, True, journal)
            started = time.perf_counter()
            report = apply_policy(generated.policy, source, target, options)
            seconds = time.perf_counter() - started
            made = writes_of(counted(url)) - before
            again = plan_policy(generated.policy, source, target).plan

    changes = sum(len(u.changes) for u in plan.users)
    return {
        "users": users,
        "changed users": len(plan.users),
        "changes": changes,
        "minimum writes": plan.writes(),
        "writes made": made,
        "apply seconds": round(seconds, 2),
        "users left to change after": len(again.users),
        "status": report.status,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurement, print it, and save it as JSON."""
    parser = argparse.ArgumentParser(
        prog="python bench/apply.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, default=10_000, help="org size")
    parser.add_argument("--seed", type=int, default=1, help="seed of the org")
    args = parser.parse_args(argv)
    figures = measure(args.users, args.seed)
    for key, value in figures.items():
        print(
            f"{key:>28}: {value:,}" if isinstance(value, int) else f"{key:>28}: {value}"
        )

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"apply-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    exact = figures["writes made"] == figures["minimum writes"]
    print(("met" if exact else "MISSED") + ": apply made exactly the minimum writes")
    return 0 if exact and figures["users left to change after"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
