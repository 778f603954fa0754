#!/usr/bin/env python3
"""Record real handshakes as the seed corpus of the atheris targets.

Each run puts a deterministic cytls endpoint (tests/fuzz/atheris/fuzz_targets:
fixed randoms, fixed key shares, Ed25519 certificates) against a real peer,
in each role and version, and stores what the peer sent: a client's bytes
seed `server13`/`server12`, a server's bytes seed `client13`/`client12`,
and every handshake message seen (both directions) seeds the parser
targets by type. Peers: the ssl module (memory BIOs), `openssl s_server` /
`s_client` and `gnutls-serv` / `gnutls-cli` over 127.0.0.1, and cytls
itself. A peer whose program is missing is skipped with a note.

    python scripts/record-fuzz-corpus.py [--out tests/fuzz/atheris/corpus]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz" / "atheris"))

import fuzz_targets as ft  # noqa: E402

from cytls._connection import Connection  # noqa: E402
from cytls._handshake import transcript  # noqa: E402
from cytls._wire import messages as m  # noqa: E402
from cytls._wire.events import ApplicationDataReceived, ConnectionClosed  # noqa: E402

TIMEOUT = 8.0
PAYLOAD = b"hello fuzz corpus\n"
MESSAGE_TARGETS = {
    1: "client_hello",
    2: "server_hello",
    11: "certificate",
    15: "certificate_verify",
}
OTHER_MESSAGES = {8: 0, 13: 1, 4: 2, 24: 3, 12: 4, 16: 6}  # type -> messages-target selector
# (extension type, message type or 0 for any) -> index in fuzz_targets._EXT_CODECS.
EXT_CODEC = {
    (0, 0): 0,
    (10, 0): 1,
    (13, 0): 1,
    (51, 1): 2,
    (51, 2): 3,
    (43, 1): 5,
    (43, 2): 6,
    (44, 0): 7,
    (16, 0): 8,
    (45, 0): 9,
    (28, 0): 10,
    (47, 0): 11,
    (42, 0): 12,
    (23, 0): 13,
    (11, 0): 14,
    (65281, 0): 15,
}

_seen: list[bytes] = []
_orig_add = transcript.Transcript.add


def _recording_add(self: transcript.Transcript, message: bytes) -> None:
    _seen.append(bytes(message))
    _orig_add(self, message)


transcript.Transcript.add = _recording_add  # type: ignore[method-assign]


def split_messages(stream: bytes) -> list[bytes]:
    out, i = [], 0
    while i + 4 <= len(stream):
        n = int.from_bytes(stream[i + 1 : i + 4], "big")
        out.append(stream[i : i + 4 + n])
        i += 4 + n
    return out


class Corpus:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.count = 0

    def put(self, target: str, name: str, data: bytes) -> None:
        if not data:
            return
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        (d / f"{name}-{digest}").write_bytes(data)
        self.count += 1

    def messages(self, name: str, msgs: list[bytes], conn: Connection) -> None:
        msgs = msgs + split_messages(bytes(conn._ctx.messages12))
        for raw in msgs:
            body = raw[4:]
            if raw[0] in MESSAGE_TARGETS:
                self.put(MESSAGE_TARGETS[raw[0]], name, body)
            if raw[0] in OTHER_MESSAGES:
                self.put("messages", name, bytes([OTHER_MESSAGES[raw[0]]]) + body)
            if raw[0] in (1, 2):
                # The extension codecs, seeded with each extension body of
                # the hellos (the selector byte picks the codec for its type).
                parse = m.ClientHello.parse if raw[0] == 1 else m.ServerHello.parse
                try:
                    exts = parse(body).extensions
                except ssl.SSLError:
                    continue
                for etype, ebody in exts.items():
                    pick = EXT_CODEC.get((etype, raw[0]), EXT_CODEC.get((etype, 0)))
                    if pick is not None:
                        self.put("extensions", name, bytes([pick]) + ebody)
        for der in (ft.pki()["server"], ft.pki()["client"]):
            self.put("certificate", "der", der.public_bytes(serialization.Encoding.DER))


# ----------------------------------------------------------------- drivers


def drive_socket(conn: Connection, sock: socket.socket, is_client: bool) -> bytes:
    """Our side of one connection over a socket; returns every byte received."""
    received = bytearray()
    sock.settimeout(0.2)
    deadline = time.monotonic() + TIMEOUT
    sent_payload = False
    if is_client:
        conn.start_handshake()
    try:
        while time.monotonic() < deadline:
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
            if conn.closed:
                break
            try:
                data = sock.recv(65536)
            except TimeoutError:
                data = None
            if data == b"":
                break
            if data:
                received += data
                events = conn.receive_data(data)
                for ev in events:
                    if isinstance(ev, ApplicationDataReceived):
                        if is_client:
                            conn.close()
                        else:
                            conn.send_application_data(conn.read_application_data())
                    if isinstance(ev, ConnectionClosed):
                        conn.close()
            if is_client and conn.handshake_complete and not sent_payload:
                conn.send_application_data(PAYLOAD)
                sent_payload = True
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
    except (OSError, ssl.SSLError) as exc:
        print(f"    ({type(exc).__name__}: {exc})")
    finally:
        sock.close()
    return bytes(received)


def drive_memory(conn: Connection, peer: ssl.SSLObject, is_client: bool) -> bytes:
    """Our side against an ssl.SSLObject over memory BIOs."""
    incoming, outgoing = peer._cytls_bios  # type: ignore[attr-defined]
    received = bytearray()
    if is_client:
        conn.start_handshake()
    peer_done = False
    for _ in range(50):
        incoming.write(conn.data_to_send())
        try:
            if not peer_done:
                peer.do_handshake()
                peer_done = True
            data = peer.read(65536)
            if data:
                peer.write(data)  # the ssl server echoes
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        except ssl.SSLError as exc:
            print(f"    (ssl peer: {exc})")
            break
        out = outgoing.read()
        if out:
            received += out
            for ev in conn.receive_data(out):
                if isinstance(ev, ApplicationDataReceived) and is_client:
                    conn.close()
                if isinstance(ev, ConnectionClosed):
                    conn.close()
        if is_client and conn.handshake_complete and not conn.closed and peer_done:
            conn.send_application_data(PAYLOAD)
        if conn.closed and not out:
            break
    return bytes(received)


# ------------------------------------------------------------------- peers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> bool:
    for _ in range(100):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def write_files(d: Path) -> dict[str, str]:
    p = ft.pki()
    pem = serialization.Encoding.PEM
    files = {}
    for name in ("root", "server", "client"):
        path = d / f"{name}.pem"
        path.write_bytes(p[name].public_bytes(pem))
        files[name] = str(path)
    for name in ("server_key", "client_key"):
        path = d / f"{name}.pem"
        path.write_bytes(
            p[name].private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        files[name] = str(path)
    return files


def versions_flag(tool: str, version: int) -> list[str]:
    if tool == "openssl":
        return ["-tls1_3" if version == ft.TLS13 else "-tls1_2"]
    v = "+VERS-TLS1.3" if version == ft.TLS13 else "+VERS-TLS1.2"
    return ["--priority", f"NORMAL:-VERS-ALL:{v}"]


def record_server_with(
    corpus: Corpus, tool: str, argv: Callable[[int], list[str]], version: int
) -> None:
    """Our deterministic client against a real server program."""
    exe = shutil.which(tool)
    if exe is None:
        print(f"  skip {tool} server: not installed")
        return
    port = free_port()
    proc = subprocess.Popen(
        [exe, *argv(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_port(port, proc):
            print(f"  skip {tool} server: did not start")
            return
        _seen.clear()
        conn = Connection(ft.client_config(version), hooks=ft.client_hooks())
        sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        data = drive_socket(conn, sock, is_client=True)
        name = f"{tool}-server"
        target = "client13" if version == ft.TLS13 else "client12"
        corpus.put(target, name, data)
        corpus.messages(name, list(_seen), conn)
        print(f"  {tool} server -> {target}: {len(data)} bytes, complete={conn.handshake_complete}")
    finally:
        proc.kill()
        proc.wait()


def record_client_with(
    corpus: Corpus, tool: str, argv: Callable[[int], list[str]], version: int
) -> None:
    """A real client program against our deterministic server."""
    exe = shutil.which(tool)
    if exe is None:
        print(f"  skip {tool} client: not installed")
        return
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        port = lsock.getsockname()[1]
        proc = subprocess.Popen(
            [exe, *argv(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            sock, _ = lsock.accept()
            assert proc.stdin is not None
            proc.stdin.write(PAYLOAD)
            proc.stdin.flush()
            _seen.clear()
            conn = Connection(ft.server_config(version), hooks=ft.server_hooks())
            data = drive_socket(conn, sock, is_client=False)
            name = f"{tool}-client"
            target = "server13" if version == ft.TLS13 else "server12"
            corpus.put(target, name, data)
            corpus.messages(name, list(_seen), conn)
            print(
                f"  {tool} client -> {target}: {len(data)} bytes, "
                f"complete={conn.handshake_complete}"
            )
        except TimeoutError:
            print(f"  skip {tool} client: no connection")
        finally:
            proc.kill()
            proc.wait()


def record_ssl_module(corpus: Corpus, files: dict[str, str], version: int) -> None:
    tls = ssl.TLSVersion.TLSv1_3 if version == ft.TLS13 else ssl.TLSVersion.TLSv1_2
    v = "13" if version == ft.TLS13 else "12"
    for is_client in (True, False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if is_client else ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ctx.maximum_version = tls
        if is_client:
            ctx.load_cert_chain(files["server"], files["server_key"])
            ctx.load_verify_locations(files["root"])
            ctx.verify_mode = ssl.CERT_OPTIONAL
        else:
            ctx.load_verify_locations(files["root"])
            ctx.load_cert_chain(files["client"], files["client_key"])
            ctx.check_hostname = False
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        peer = ctx.wrap_bio(
            incoming,
            outgoing,
            server_side=is_client,
            server_hostname=None if is_client else "localhost",
        )
        peer._cytls_bios = (incoming, outgoing)  # type: ignore[attr-defined]
        _seen.clear()
        if is_client:
            conn = Connection(ft.client_config(version), hooks=ft.client_hooks())
        else:
            conn = Connection(ft.server_config(version), hooks=ft.server_hooks())
        data = drive_memory(conn, peer, is_client)
        target = ("client" if is_client else "server") + v
        name = "ssl-" + ("server" if is_client else "client")
        corpus.put(target, name, data)
        corpus.messages(name, list(_seen), conn)
        print(
            f"  ssl module {name[4:]} -> {target}: {len(data)} bytes, "
            f"complete={conn.handshake_complete}"
        )


def record_cytls(corpus: Corpus, version: int) -> None:
    v = "13" if version == ft.TLS13 else "12"
    _seen.clear()
    c = Connection(ft.client_config(version), hooks=ft.client_hooks())
    s = Connection(ft.server_config(version), hooks=ft.server_hooks())
    c.start_handshake()
    to_server, to_client = bytearray(), bytearray()
    for _ in range(10):
        d = c.data_to_send()
        to_server += d
        if d:
            for ev in s.receive_data(d):
                if isinstance(ev, ApplicationDataReceived):
                    s.send_application_data(s.read_application_data())
                    s.close()
        d = s.data_to_send()
        to_client += d
        if d:
            for ev in c.receive_data(d):
                if isinstance(ev, ConnectionClosed):
                    c.close()
        if c.handshake_complete and not c.closed and not to_server.endswith(b"sent"):
            c.send_application_data(PAYLOAD)
    corpus.put("server" + v, "cytls-client", bytes(to_server))
    corpus.put("client" + v, "cytls-server", bytes(to_client))
    corpus.messages("cytls", list(_seen), c)
    corpus.messages("cytls", [], s)
    print(
        f"  cytls pair: {len(to_server)} / {len(to_client)} bytes, complete={c.handshake_complete}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "fuzz" / "atheris" / "corpus")
    args = ap.parse_args()
    corpus = Corpus(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        f = write_files(Path(tmp))
        for version in (ft.TLS13, ft.TLS12):
            print(f"TLS 1.{3 if version == ft.TLS13 else 2}")
            record_cytls(corpus, version)
            record_ssl_module(corpus, f, version)
            vo, vg = versions_flag("openssl", version), versions_flag("gnutls", version)
            record_server_with(
                corpus,
                "openssl",
                lambda p, vo=vo: [
                    "s_server",
                    "-accept",
                    str(p),
                    "-cert",
                    f["server"],
                    "-key",
                    f["server_key"],
                    "-verify",
                    "1",
                    "-CAfile",
                    f["root"],
                    "-rev",
                    *vo,
                ],
                version,
            )
            record_server_with(
                corpus,
                "gnutls-serv",
                lambda p, vg=vg: [
                    "--echo",
                    "-p",
                    str(p),
                    "--x509certfile",
                    f["server"],
                    "--x509keyfile",
                    f["server_key"],
                    "--x509cafile",
                    f["root"],
                    *vg,
                ],
                version,
            )
            record_client_with(
                corpus,
                "openssl",
                lambda p, vo=vo: [
                    "s_client",
                    "-connect",
                    f"127.0.0.1:{p}",
                    "-servername",
                    "localhost",
                    "-cert",
                    f["client"],
                    "-key",
                    f["client_key"],
                    *vo,
                ],
                version,
            )
            record_client_with(
                corpus,
                "gnutls-cli",
                lambda p, vg=vg: [
                    "127.0.0.1",
                    "-p",
                    str(p),
                    "--insecure",
                    "--x509certfile",
                    f["client"],
                    "--x509keyfile",
                    f["client_key"],
                    *vg,
                ],
                version,
            )
    print(f"{corpus.count} files written under {args.out}")


if __name__ == "__main__":
    main()
