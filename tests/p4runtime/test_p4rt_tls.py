"""P4Runtime over TLS with a certificate and key given by path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from finsy.proto import p4r, p4r_grpc
from p4rt_harness import running_server


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_server_answers_a_tls_client_only(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    with running_server(tls=(cert, key)) as running:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        with grpc.secure_channel(running.address, credentials) as channel:
            reply = p4r_grpc.P4RuntimeStub(channel).Capabilities(p4r.CapabilitiesRequest(), timeout=10)
            assert reply.p4runtime_api_version == "1.3.0"
        with grpc.insecure_channel(running.address) as channel:
            with pytest.raises(grpc.RpcError) as info:
                p4r_grpc.P4RuntimeStub(channel).Capabilities(p4r.CapabilitiesRequest(), timeout=5)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
