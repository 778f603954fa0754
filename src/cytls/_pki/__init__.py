"""Certificates: loading them the way the `ssl` module does, and verifying
chains and host names the way OpenSSL does.

Owns: PEM/DER parsing of certificates, keys and CRLs from files and strings
(`loading`), and path validation with OpenSSL's verify codes (`verify`).
Must not: know about handshakes, records or contexts; it imports only the
wire layer (for the alerts its failures carry).
"""
