"""inject_into_ssl() after a library made OpenSSL contexts at import time: a
warning that names them (once), and `python -m cytls.inject`, which injects
before the program imports anything."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=cwd, check=False)


def test_late_injection_warns_once_naming_the_contexts() -> None:
    code = textwrap.dedent("""
        import ssl, warnings
        import aiohttp.connector            # builds its default contexts at import time
        import cytls
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cytls.inject_into_ssl()
            cytls.extract_from_ssl()
            cytls.inject_into_ssl()         # a second injection says nothing more
        late = [w for w in caught if w.category.__name__ == "InjectedTooLateWarning"]
        print(len(late))
        print(late[0].message)
        print(type(aiohttp.connector._SSL_CONTEXT_VERIFIED).__module__)
    """)
    res = _run("-c", code)
    assert res.returncode == 0, res.stderr
    count, message, module = res.stdout.strip().splitlines()
    assert count == "1"
    assert "aiohttp.connector._SSL_CONTEXT_VERIFIED" in message
    assert "aiohttp.connector._SSL_CONTEXT_UNVERIFIED" in message
    assert "python -m cytls.inject" in message
    assert module == "ssl"  # it stays an OpenSSL context: the warning is right to say so


def test_early_injection_does_not_warn() -> None:
    code = textwrap.dedent("""
        import warnings
        import cytls
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cytls.inject_into_ssl()
        import aiohttp.connector
        print(type(aiohttp.connector._SSL_CONTEXT_VERIFIED).__module__)
    """)
    res = _run("-c", code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().startswith("cytls")


def test_runner_injects_before_the_program_imports(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent("""
        import sys
        import aiohttp.connector
        import cytls
        ctx = aiohttp.connector._SSL_CONTEXT_VERIFIED
        print(isinstance(ctx, cytls.SSLContext), cytls.is_injected(), sys.argv[1:], __name__)
    """))
    res = _run("-m", "cytls.inject", str(script), "--flag", "x")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True True ['--flag', 'x'] __main__"


def test_runner_runs_a_module_and_passes_its_exit_status(tmp_path: Path) -> None:
    (tmp_path / "mod_under_test.py").write_text(textwrap.dedent("""
        import ssl, sys
        import cytls
        print(ssl.create_default_context().__class__.__module__, sys.argv[1:])
        sys.exit(3)
    """))
    res = _run("-m", "cytls.inject", "-m", "mod_under_test", "a", cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    assert res.stdout.strip().startswith("cytls")
    assert res.stdout.strip().endswith("['a']")


def test_runner_usage() -> None:
    res = _run("-m", "cytls.inject")
    assert res.returncode == 2
    assert "usage: python -m cytls.inject" in res.stderr
