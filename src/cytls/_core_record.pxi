# Record-layer binding (csrc/record.c), included by _core.pyx.
