"""Connection.read_application_data_into: decrypted bytes move straight
into the caller's buffer, in order, partially when it is small, with the
rest kept for the next read."""

from __future__ import annotations

import os

from tls_helpers import client_config, pair, pump, server_config


def test_read_into_partial_and_whole() -> None:
    c, s = pair(client_config(), server_config())
    data = os.urandom(70000)
    c.send_application_data(data)
    pump(c, s)
    assert s.pending_application_data() == len(data)
    small = bytearray(1000)
    assert s.read_application_data_into(small) == 1000
    assert small == data[:1000]
    # a memoryview slice of a bigger buffer, as SSLObject.read passes it
    big = bytearray(100000)
    n = s.read_application_data_into(memoryview(big)[:50000])
    assert n == 50000 and big[:n] == data[1000:51000]
    assert big[n:] == bytes(100000 - n)  # nothing written past the slice
    n = s.read_application_data_into(big)
    assert n == len(data) - 51000 and big[:n] == data[51000:]
    assert s.pending_application_data() == 0
    assert s.read_application_data_into(big) == 0
    # the read buffer still grows and shrinks normally afterwards
    c.send_application_data(b"again")
    pump(c, s)
    assert s.read_application_data() == b"again"
