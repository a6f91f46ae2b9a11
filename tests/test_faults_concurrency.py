"""Fault suite: concurrency and resources. A second `snakemake` on a tree where one runs is
refused with Snakemake's lock message and damages nothing (the first run ends with the same
draws and no partial file); `--cores 1` and `--cores 2` never run more sampler processes
(CmdStan chains) than cores, measured by watching the processes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from faults import (
    assert_no_partial_files,
    run,
    running_samplers,
    same_draws,
    start,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

TARGETS = ["results/m2/fit", "results/m3/fit"]


class PeakWatcher(threading.Thread):
    """Counts a tree's running sampler processes every 20 ms; ``peak`` is the most seen."""

    def __init__(self, tree: Path) -> None:
        super().__init__(daemon=True)
        self.tree, self.peak, self.seen, self.done = tree, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            count = len(running_samplers(self.tree))
            self.peak = max(self.peak, count)
            self.seen += count > 0
            time.sleep(0.02)


@pytest.mark.parametrize("cores", [1, 2])
def test_never_more_sampler_processes_than_cores(fitted_copy, fitted_tree, cores):
    tree = fitted_copy
    watcher = PeakWatcher(tree)
    watcher.start()
    process = start(tree, "--cores", str(cores), "--forcerun", "sample_model", "--", *TARGETS)
    if cores == 1:  # meanwhile a second run on the same tree is refused
        wait_for(lambda: len(running_samplers(tree)) > 0, what="the first chains")
        second = run(tree, "--cores", "1")
        assert second.returncode != 0
        assert "Error: Directory cannot be locked." in second.stderr
    assert process.wait(timeout=1800) == 0, (tree.parent / "tree.stderr").read_text()[-3000:]
    watcher.done.set()
    watcher.join()
    assert watcher.seen > 0
    assert 1 <= watcher.peak <= cores
    for model in ("m2", "m3"):
        for chain in range(1, 5):
            name = f"results/{model}/fit/{model}-{chain}.csv"
            assert same_draws(tree / name, fitted_tree / name)
    assert_no_partial_files(tree)
