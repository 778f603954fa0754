#!/bin/sh
# Cross-compile the C test driver for aarch64 and run it under qemu with
# every CPU feature (-cpu max), so the ARMv8 Crypto Extension and SHA-512
# backends run against the portable code. Exits non-zero on any build or
# test failure. Extra arguments (e.g. --asan) go to build-ctests.py.
set -eu
cd "$(dirname "$0")/.."
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test-aarch64.sh: $tool not found (apt install gcc-aarch64-linux-gnu qemu-user)" >&2
        exit 2
    fi
done
exec python3 scripts/build-ctests.py --arch aarch64 --cc aarch64-linux-gnu-gcc \
    --out csrc/tests/ctest-aarch64 --run --qemu "$@"
