"""The command-line tools behind `python -m cytls`: demo, s_client, s_server, bench.

Owns: argument handling, printing and the small amount of socket plumbing the
tools need. Must not: implement any part of TLS; every handshake and record goes
through an `ssl`-shaped API (cytls's, or the `ssl` module's for comparison).
"""
