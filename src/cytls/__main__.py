"""`python -m cytls` (and the `cytls` console script): demo, s_client, s_server, bench.

Owns: the top-level argument parser and turning failures into one line and an
exit status. Must not: hold any tool's logic (see cytls.cli).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _info(args: argparse.Namespace) -> int:
    """Print the version and which C backends this build uses."""
    import cytls

    print(f"cytls {cytls.__version__}  (Python {sys.version.split()[0]})")
    try:
        from cytls import _core, crypto  # type: ignore[attr-defined,unused-ignore]

        print(f"CPU features detected: {', '.join(_core.cpu_features(True)) or 'none'}")
        for primitive, backend in crypto.backends().items():
            print(f"  {primitive:10s} {backend}")
    except Exception as e:
        print(f"C core unavailable: {e}")
    print("commands: demo, s_client, s_server, bench (python -m cytls COMMAND -h)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    from cytls.cli import bench, demo, s_client, s_server

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks instead of one-line errors")
    parser = argparse.ArgumentParser(
        prog="python -m cytls", parents=[common],
        description="cytls command-line tools: a handshake demo, s_client, s_server and bench.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser("info", parents=[common], help="version and C backends")
    info.set_defaults(func=_info)
    demo.add_parser(sub, common)
    s_client.add_parser(sub, common)
    s_server.add_parser(sub, common)
    bench.add_parser(sub, common)
    parser.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; returns the exit status (0 on success)."""
    from cytls.cli._output import run_guarded

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    debug = bool(getattr(args, "debug", False))
    prog = f"cytls {args.command}" if getattr(args, "command", None) else "cytls"
    return run_guarded(prog, debug, args.func, args)


if __name__ == "__main__":
    sys.exit(main())
