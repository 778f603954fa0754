"""The verified-chain cache (_pki/verifycache.py): a peer met again gets
the answer a full verification would give, and nothing else."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

import cytls
from cytls._pki.verify import Verifier, VerifyOptions
from cytls._pki.verifycache import VerifiedChains
from cytls._wire.alerts import CertificateVerifyFailed
from cytls.cli import _certgen


@pytest.fixture(scope="module")
def pki() -> tuple[x509.Certificate, list[x509.Certificate]]:
    creds = _certgen.generate("ec")
    root = x509.load_pem_x509_certificate(creds.ca_pem)
    chain = [
        x509.load_pem_x509_certificate(creds.server_cert_pem),
        x509.load_pem_x509_certificate(creds.intermediate_pem),
    ]
    return root, chain


def _counting(verifier: Verifier, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the full verifications (the chain weakness check runs once in each)."""
    import cytls._pki.verify as verify_mod

    calls = [0]
    real = verify_mod.chain_weakness

    def counted(*args: object) -> object:
        calls[0] += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(verify_mod, "chain_weakness", counted)
    return calls


def test_hit_returns_the_verified_chain_without_verifying_again(pki, monkeypatch) -> None:
    root, chain = pki
    verifier = Verifier([root])
    calls = _counting(verifier, monkeypatch)
    first = verifier.verify(chain, server=True, hostname="localhost", now=None)
    again = verifier.verify(list(chain), server=True, hostname="localhost", now=None)
    assert calls[0] == 1
    assert [c.fingerprint(c.signature_hash_algorithm) for c in again] == [  # type: ignore[arg-type]
        c.fingerprint(c.signature_hash_algorithm) for c in first  # type: ignore[arg-type]
    ]
    assert len(again) == 3 and again[-1] == root
    assert len(verifier.verified_chains) == 1


def test_other_host_name_or_purpose_is_verified_in_full(pki, monkeypatch) -> None:
    root, chain = pki
    verifier = Verifier([root])
    calls = _counting(verifier, monkeypatch)
    verifier.verify(chain, server=True, hostname="localhost", now=None)
    with pytest.raises(CertificateVerifyFailed) as info:
        verifier.verify(chain, server=True, hostname="other.example", now=None)
    assert info.value.verify_code == 62
    verifier.verify(chain, server=True, hostname=None, now=None)
    assert calls[0] == 2


def test_a_hit_outside_the_validity_window_is_a_miss(pki) -> None:
    root, chain = pki
    verifier = Verifier([root])
    verifier.verify(chain, server=True, hostname="localhost", now=None)
    later = datetime.now(UTC) + timedelta(days=30)  # the leaf lives 2 days
    with pytest.raises(CertificateVerifyFailed) as info:
        verifier.verify(chain, server=True, hostname="localhost", now=later)
    assert info.value.verify_code == 10  # certificate has expired
    earlier = chain[0].not_valid_before_utc - timedelta(minutes=1)
    with pytest.raises(CertificateVerifyFailed) as info:
        verifier.verify(chain, server=True, hostname="localhost", now=earlier)
    assert info.value.verify_code == 9  # not yet valid


def test_failures_are_not_remembered(pki) -> None:
    root, chain = pki
    verifier = Verifier([root])
    for _ in range(2):
        with pytest.raises(CertificateVerifyFailed):
            verifier.verify(chain[:1], server=True, hostname="localhost", now=None)
    assert len(verifier.verified_chains) == 0


def test_size_zero_and_crl_checks_keep_nothing(pki) -> None:
    root, chain = pki
    off = Verifier([root], cache_size=0)
    off.verify(chain, server=True, hostname="localhost", now=None)
    assert len(off.verified_chains) == 0
    crl_leaf = Verifier([root], [], VerifyOptions(crl_check=1))
    with pytest.raises(CertificateVerifyFailed):  # no CRL loaded: 3, unable to get CRL
        crl_leaf.verify(chain, server=True, hostname="localhost", now=None)
    assert len(crl_leaf.verified_chains) == 0


def test_the_oldest_entry_goes_first() -> None:
    cache = VerifiedChains(2)
    now = datetime.now(UTC)

    class Cert:
        not_valid_before_utc = now - timedelta(days=1)
        not_valid_after_utc = now + timedelta(days=1)

    chain = [Cert()]
    for name in ("a", "b", "c"):
        cache.put((True, name, ()), [], chain)  # type: ignore[list-item]
    assert len(cache) == 2
    assert cache.get((True, "a", ()), [], now) is None
    assert cache.get((True, "c", ()), [], now) is not None


def test_other_certificate_objects_are_a_miss(pki, monkeypatch) -> None:
    """Equal certificates parsed anew (another object) verify in full: the
    cache matches the objects it holds, never a recycled id."""
    from cryptography.hazmat.primitives.serialization import Encoding

    root, chain = pki
    verifier = Verifier([root])
    calls = _counting(verifier, monkeypatch)
    verifier.verify(chain, server=True, hostname="localhost", now=None)
    fresh = [x509.load_der_x509_certificate(c.public_bytes(Encoding.DER)) for c in chain]
    verifier.verify(fresh, server=True, hostname="localhost", now=None)
    assert calls[0] == 2


def test_context_setting(pki) -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.verify_cache_size == 256
    with pytest.raises(TypeError):
        ctx.verify_cache_size = "1"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ctx.verify_cache_size = True
    with pytest.raises(ValueError):
        ctx.verify_cache_size = -1
    ctx.verify_cache_size = 0
    assert ctx._shared_config(False).prepared().verifier.verified_chains.size == 0
    ctx.verify_cache_size = 8
    assert ctx._shared_config(False).prepared().verifier.verified_chains.size == 8


def test_handshakes_with_and_without_the_cache(tmp_path) -> None:
    from cytls.cli import _impl, bench

    with _certgen.generate("ec").write(tmp_path) as files:
        impl = _impl.load("cytls")
        client, server, _ = bench._pair_contexts(impl, files)
        for size in (256, 0):
            client.verify_cache_size = size
            for _ in range(2):
                pair = bench._Pair(client, server)
                pair.handshake()
                assert (("commonName", "localhost"),) in pair.client.getpeercert()["subject"]
            cache = client._shared_config(False).prepared().verifier.verified_chains
            assert len(cache) == (1 if size else 0)
        # A wrong name still fails on a cache hit's inputs changed by one field.
        client.verify_cache_size = 256
        bench._Pair(client, server).handshake()
        bad = bench._Pair.__new__(bench._Pair)
        bad.c_in, bad.c_out, bad.s_in, bad.s_out = (ssl.MemoryBIO() for _ in range(4))
        bad.client = client.wrap_bio(bad.c_in, bad.c_out, server_hostname="wrong.example")
        bad.server = server.wrap_bio(bad.s_in, bad.s_out, server_side=True)
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            bad.handshake()
