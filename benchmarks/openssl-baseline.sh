#!/usr/bin/env bash
# Reference figure for AeadBenchmark: OpenSSL's ChaCha20-Poly1305 on one core of this machine.
# Compare AeadBenchmark's 1024-byte seal (bytes/s) with the 1024-byte column printed here
# (OpenSSL prints thousands of bytes per second; "k" = 1000 bytes). 1420 bytes, the transport
# MTU payload, is a second run because -bytes takes one size. First argument: seconds per size.
set -euo pipefail
seconds="${1:-3}"
for bytes in 1024 1420; do
    openssl speed -evp chacha20-poly1305 -seconds "$seconds" -bytes "$bytes" 2>/dev/null \
        | grep -E '^(version|type|[Cc]ha[Cc]ha)' || true
done
