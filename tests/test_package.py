"""The package's public face: a sorted, complete `__all__` and typed marker."""

from __future__ import annotations

from pathlib import Path

import skillsync
from skillsync import errors


def test_all_is_sorted_and_importable() -> None:
    """`__all__` is sorted and names only what the package really exports."""
    assert skillsync.__all__ == sorted(skillsync.__all__)
    for name in skillsync.__all__:
        assert hasattr(skillsync, name), name


def test_every_error_class_is_exported() -> None:
    """Each exception of the error tree can be imported from `skillsync`."""
    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert classes <= set(skillsync.__all__)


def test_package_is_marked_typed() -> None:
    """The package ships `py.typed`, so type checkers read its annotations."""
    assert (Path(skillsync.__file__).parent / "py.typed").exists()
