"""Counting things in sentences: "1 user", "3 users", "a, b and 4 more"."""

from __future__ import annotations

from collections.abc import Sequence


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, with an s unless there is one: "1 user", "3 users"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def listing(items: Sequence[str], shown: int = 5) -> str:
    """The first few items, and how many more: "a, b, c and 12 more"."""
    head = ", ".join(items[:shown])
    rest = len(items) - shown
    return f"{head} and {rest:,} more" if rest > 0 else head
