"""`python -m cytls`: until the command-line tools land, report the build.

It reports what the build detected (version, CPU features, backends) and
says plainly that no handshake is performed yet.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    import cytls
    from cytls import _core, crypto

    print(f"cytls {cytls.__version__}")
    print(f"CPU features detected: {', '.join(_core.cpu_features(True)) or 'none'}")
    for primitive, backend in crypto.backends().items():
        print(f"  {primitive:10s} {backend}")
    if args[:1] == ["demo"]:
        print("demo: the handshake engine is not built yet; no handshake was performed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
