"""The figures of `python -m cytls bench`: what was measured, for whom, and the ratios.

Owns: `Figure` (one quantity, cytls and each peer, in one unit), `Report`
(the figures, the sections that could not run and why, the machine, and a
progress line per figure as it is added), `fmt_value`, and
`interleaved_medians`, the round-robin measurement the network sections use.
Must not: measure anything itself, or print anything but progress lines.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from cytls.cli._output import fmt_rate, say

__all__ = ["Figure", "Report", "fmt_value", "interleaved_medians"]


def fmt_value(value: float, unit: str) -> str:
    """A figure for the table: bytes/s in units, a factor as "1.90x", bytes
    (memory) in KiB, else "n/s"."""
    if unit == "B/s":
        return fmt_rate(value)
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "B":
        return f"{value / 1024:.1f} KiB"
    return f"{value:,.0f}/s"


@dataclass
class Figure:
    """One measured quantity for cytls and each peer, in the same unit.

    Attributes:
        section: one of SECTIONS.
        name: what was measured, e.g. "AES-128-GCM seal 16384 B".
        unit: "B/s", "handshakes/s", "requests/s", "connections/s",
            "x" (a factor, such as thread scaling) or "B" (memory, where
            lower is better).
        cytls: cytls's measured rate.
        peers: peer name -> its measured rate.
        unavailable_peers: peer name -> why it has no figure.
    """

    section: str
    name: str
    unit: str
    cytls: float
    peers: dict[str, float] = field(default_factory=dict)
    unavailable_peers: dict[str, str] = field(default_factory=dict)

    @property
    def ratios(self) -> dict[str, float]:
        """cytls / peer for every measured peer."""
        return {k: self.cytls / v for k, v in self.peers.items() if v > 0}


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    # Where a line per measurement goes as it completes (None: nowhere).
    progress: TextIO | None = None

    def add(self, fig: Figure) -> None:
        """Record a figure and, on a long run, say at once what it measured."""
        self.figures.append(fig)
        if self.progress is not None:
            peers = ", ".join(f"{p} {fmt_value(v, fig.unit)} ({fig.ratios[p]:.2f}x)"
                              for p, v in fig.peers.items())
            say(f"  {fig.section}: {fig.name}: cytls {fmt_value(fig.cytls, fig.unit)}"
                + (f"; {peers}" if peers else ""), file=self.progress)

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "figures": [dict(asdict(f), ratios=f.ratios) for f in self.figures],
            "unavailable": self.unavailable,
        }


def interleaved_medians(fns: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Call each fn once per round, alternating (a, b, a, b, ...), and keep
    the median of each one's results: on a loaded machine alternation spreads
    the slow moments over every contender, and the median is what a user
    sees, where the best round flatters whichever was lucky.

    Args:
        fns: name -> a measurement returning one figure.
        rounds: calls per fn (at least 1).

    Returns:
        name -> the median of its figures.
    """
    results: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, rounds)):
        for name, fn in fns.items():
            results[name].append(fn())
    return {name: statistics.median(values) for name, values in results.items()}
