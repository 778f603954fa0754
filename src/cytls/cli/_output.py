"""Printing for the command-line tools: lines, tables, a progress bar, errors.

Owns: how the tools talk to a person — one clear line per error with a non-zero
exit status (a traceback only under --debug), human units, a progress bar that
only animates on a terminal. Must not: decide anything about TLS.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

__all__ = [
    "CLIError",
    "ProgressBar",
    "describe_error",
    "fmt_bytes",
    "fmt_rate",
    "print_table",
]


class CLIError(Exception):
    """An error a person can act on: printed as one line, exit status `status`."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_lock = threading.Lock()


def say(*parts: object, file: TextIO | None = None) -> None:
    """Print one line atomically (the tools print from several threads)."""
    stream = file if file is not None else sys.stdout
    with _lock:
        print(*parts, file=stream, flush=True)


def fmt_bytes(n: float) -> str:
    """Bytes in binary units: 1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - loop always returns


def fmt_rate(bytes_per_second: float) -> str:
    """A throughput in decimal megabytes per second, as `openssl speed` reports."""
    if bytes_per_second >= 1e9:
        return f"{bytes_per_second / 1e9:.2f} GB/s"
    return f"{bytes_per_second / 1e6:.1f} MB/s"


class ProgressBar:
    """A one-line progress bar; on a non-terminal it prints only the final line.

    Args:
        total: the number of bytes expected.
        label: printed before the bar.
        stream: where to draw (stdout by default).
    """

    WIDTH = 32

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stdout
        self.live = self.stream.isatty()
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, n: int) -> None:
        """Account for n more bytes; redraw at most 20 times a second."""
        self.done += n
        now = time.perf_counter()
        if self.live and (now - self._last_draw > 0.05 or self.done >= self.total):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = max(now - self.start, 1e-9)
        self.stream.write(
            f"\r  {self.label} [{bar}] {frac * 100:5.1f}%  "
            f"{fmt_bytes(self.done)}  {fmt_rate(self.done / elapsed)}   "
        )
        self.stream.flush()

    def finish(self, elapsed: float | None = None) -> None:
        """Draw the final state and end the line.

        Args:
            elapsed: the measured duration to report; the bar's own clock if None.
        """
        now = time.perf_counter()
        seconds = elapsed if elapsed is not None else now - self.start
        if self.live:
            self._draw(now)
            self.stream.write("\n")
        else:
            self.stream.write(
                f"  {self.label} [{'#' * self.WIDTH}] 100.0%  {fmt_bytes(self.done)} "
                f"in {seconds * 1000:.1f} ms\n"
            )
        self.stream.flush()


def print_table(
    rows: Sequence[Sequence[str]], header: Sequence[str], file: TextIO | None = None
) -> None:
    """Print rows as aligned columns; the first column left-aligned, others right."""
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=False)]
        return "  ".join(out).rstrip()

    say(line(header), file=file)
    say("  ".join("-" * w for w in widths), file=file)
    for row in rows:
        say(line(row), file=file)


def describe_error(exc: BaseException, target: str = "") -> str | None:
    """One actionable line for the failures a person meets, or None if unknown.

    Args:
        exc: the exception.
        target: what was being reached or bound, e.g. "example.com:443".

    Returns:
        The line (without a program prefix), or None for an unexpected error.
    """
    where = f" {target}" if target else ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        # The ssl module (and cytls) name the failed check in verify_message.
        check = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
        code = getattr(exc, "verify_code", None)
        suffix = f" (verify code {code})" if code else ""
        return f"certificate verification failed for{where or ' the peer'}: {check}{suffix}"
    if isinstance(exc, ssl.CertificateError):
        return f"certificate verification failed for{where or ' the peer'}: {exc}"
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)
        text = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else str(exc)
        if reason and reason not in text:
            text = f"{reason}: {text}"
        return f"TLS handshake with{where or ' the peer'} failed: {text}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host name{where}: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by{where or ' the peer'} (is a server listening there?)"
    if isinstance(exc, ConnectionResetError):
        return f"connection reset by{where or ' the peer'}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out talking to{where or ' the peer'}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"address{where} is already in use (another server on that port? try another -accept port)"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot bind{where}: address not available on this machine"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{(' for' + where) if where else ''}: {exc.strerror}"
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {exc.filename or exc}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"network unreachable for{where}: {exc.strerror}"
    return None


def run_guarded(prog: str, debug: bool, fn: object, *args: object) -> int:
    """Run fn(*args); turn known failures into one line on stderr and status 1.

    Args:
        prog: the program name put in front of error lines.
        debug: re-raise (with a traceback) instead of summarising.
        fn: the command body, returning an exit status.

    Returns:
        The exit status.
    """
    assert callable(fn)
    try:
        status = fn(*args)
        return int(status) if status is not None else 0
    except CLIError as e:
        if debug:
            raise
        say(f"{prog}: error: {e.message}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        if debug:
            raise
        say(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed under us (e.g. piped into head): nothing useful to say.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except Exception as e:
        if debug:
            raise
        line = describe_error(e)
        if line is None:
            line = f"unexpected {type(e).__name__}: {e} (run with --debug for a traceback)"
        say(f"{prog}: error: {line}", file=sys.stderr)
        return 1
