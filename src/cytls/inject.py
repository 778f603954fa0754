"""`python -m cytls.inject`: run a program with `cytls.inject_into_ssl()` done first.

Owns: the command line of the runner (a script path or `-m module`, then the
program's own arguments), injecting before the program imports anything, and
running it as `python` would (`__main__`, sys.argv, sys.path[0]).
Must not: change what inject_into_ssl() patches.

    python -m cytls.inject app.py --port 8443
    python -m cytls.inject -m aiohttp.web -H 127.0.0.1 app:main
"""

from __future__ import annotations

import os
import runpy
import sys

import cytls

__all__ = ["main"]

_USAGE = "usage: python -m cytls.inject (SCRIPT | -m MODULE) [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    """Inject, then run the script or module named by argv; returns 2 on a
    usage error (the program's own exit goes through SystemExit)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not args else sys.stdout)
        return 0 if args else 2
    cytls.inject_into_ssl()
    if args[0] == "-m":
        if len(args) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = args[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
