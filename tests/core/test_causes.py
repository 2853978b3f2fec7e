"""Specification of mixroute.causes: every exception a failure was raised from, once each."""

from __future__ import annotations

from mixroute.causes import causes


def names(error: BaseException) -> list[str]:
    return [str(link) for link in causes(error)]


def test_the_error_comes_first_then_its_cause_and_its_context() -> None:
    error, cause, context = OSError("error"), OSError("cause"), OSError("context")
    error.__cause__, error.__context__ = cause, context
    assert names(error) == ["error", "cause", "context"]


def test_the_members_of_an_exception_group_are_walked_and_their_causes() -> None:
    first, second = ConnectionRefusedError("first"), ConnectionRefusedError("second")
    second.__cause__ = TimeoutError("second's cause")
    group = ExceptionGroup("attempts", [first, second])
    error = OSError("all attempts failed")
    error.__cause__ = group
    assert names(error) == [
        "all attempts failed",
        "attempts (2 sub-exceptions)",
        "first",
        "second",
        "second's cause",
    ]


def test_a_chain_that_loops_ends_where_it_would_repeat() -> None:
    outer, inner = OSError("outer"), OSError("inner")
    outer.__cause__, inner.__context__ = inner, outer
    assert names(outer) == ["outer", "inner"]


def test_an_exception_reached_twice_is_given_once() -> None:
    shared = OSError("shared")
    error = OSError("error")
    error.__cause__ = error.__context__ = shared
    assert names(error) == ["error", "shared"]
