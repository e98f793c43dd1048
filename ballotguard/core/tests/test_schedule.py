"""``run_every``: what every ``--loop`` command means by its option."""

from __future__ import annotations

import pytest

from ballotguard.core.schedule import run_every


@pytest.mark.parametrize("seconds", [0, -5])
def test_zero_or_less_runs_once_and_never_sleeps(seconds):
    calls, slept = [], []
    run_every(seconds, calls.append, sleep=slept.append)
    assert calls == [True] and slept == []


def test_a_positive_interval_runs_now_then_after_each_sleep():
    calls, slept = [], []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 2:
            raise KeyboardInterrupt  # how the loop ends: the process is stopped

    with pytest.raises(KeyboardInterrupt):
        run_every(60, calls.append, sleep=sleep)
    assert calls == [True, False] and slept == [60, 60]
