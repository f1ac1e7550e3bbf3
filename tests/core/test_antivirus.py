"""The clamd adapter against a fake clamd that speaks the real wire protocol (no ClamAV here)."""

import io
import os
import socket
import socketserver
import struct
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from fairplace.core.adapters.antivirus import (
    CHUNK_SIZE,
    AntivirusError,
    ClamdScanner,
    DisabledScanner,
    ScanResult,
    get_scanner,
    parse_reply,
)

# Built from two halves so that this source file is not itself flagged by a scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed mid-stream")
        data += chunk
    return data


class ClamdHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock, server = self.request, self.server
        sock.settimeout(5)
        command = b""
        while not command.endswith(b"\0"):
            byte = sock.recv(1)
            if not byte:
                return
            command += byte
        server.commands.append(command)
        if command == b"zPING\0":
            sock.sendall(b"PONG\0")
            return
        if command != b"zINSTREAM\0":
            sock.sendall(b"UNKNOWN COMMAND\0")
            return
        stream, chunk_sizes = b"", []
        while size := struct.unpack("!L", _recv_exact(sock, 4))[0]:
            chunk_sizes.append(size)
            if len(stream) + size > server.size_limit:
                sock.sendall(b"INSTREAM size limit exceeded. ERROR\0")
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):  # let the client finish sending before closing
                    pass
                return
            stream += _recv_exact(sock, size)
        server.streams.append(stream)
        server.chunk_sizes.append(chunk_sizes)
        sock.sendall(b"stream: Eicar-Test-Signature FOUND\0" if EICAR in stream else b"stream: OK\0")


def _start(server_class, address, size_limit):
    server = server_class(address, ClamdHandler)
    server.daemon_threads = True
    server.size_limit = size_limit
    server.commands, server.streams, server.chunk_sizes = [], [], []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def clamd():
    server = _start(socketserver.ThreadingTCPServer, ("127.0.0.1", 0), size_limit=1024 * 1024)
    host, port = server.server_address
    server.address = f"{host}:{port}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ping(clamd):
    assert ClamdScanner(clamd.address).ping() is True
    assert clamd.commands == [b"zPING\0"]


def test_clean_file(clamd):
    result = ClamdScanner(clamd.address).scan(io.BytesIO(b"%PDF-1.4 an honest invoice"))
    assert result == ScanResult("clean", "")
    assert clamd.commands == [b"zINSTREAM\0"]
    assert clamd.streams == [b"%PDF-1.4 an honest invoice"]


def test_eicar_is_infected(clamd):
    result = ClamdScanner(clamd.address).scan(io.BytesIO(EICAR))
    assert result.status == "infected"
    assert result.detail == "Eicar-Test-Signature"


def test_large_file_is_chunked_and_reassembled(clamd):
    data = os.urandom(3 * CHUNK_SIZE + 1234)
    fileobj = io.BytesIO(data)
    fileobj.seek(100)  # the scanner rewinds
    assert ClamdScanner(clamd.address).scan(fileobj).status == "clean"
    assert clamd.streams == [data]
    assert clamd.chunk_sizes == [[CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 1234]]
    assert fileobj.tell() == 0


def test_empty_file_sends_only_the_terminator(clamd):
    assert ClamdScanner(clamd.address).scan(io.BytesIO(b"")).status == "clean"
    assert clamd.streams == [b""]


def test_size_limit_is_an_error_status(clamd):
    clamd.size_limit = 100 * 1024
    result = ClamdScanner(clamd.address).scan(io.BytesIO(b"x" * (2 * 1024 * 1024)))
    assert result.status == "error"
    assert "size limit exceeded" in result.detail
    assert clamd.streams == []


def test_server_down_is_retryable(closed_port):
    scanner = ClamdScanner(f"127.0.0.1:{closed_port}", timeout=2)
    with pytest.raises(AntivirusError) as excinfo:
        scanner.scan(io.BytesIO(b"data"))
    assert excinfo.value.retryable is True
    assert scanner.ping() is False


def test_timeout_is_retryable():
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        scanner = ClamdScanner(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        with pytest.raises(AntivirusError) as excinfo:
            scanner.scan(io.BytesIO(b"data"))
    assert excinfo.value.retryable is True


def test_unix_socket(tmp_path):
    path = str(tmp_path / "clamd.sock")
    server = _start(socketserver.ThreadingUnixStreamServer, path, size_limit=1024 * 1024)
    try:
        scanner = ClamdScanner(path)
        assert scanner.ping() is True
        assert scanner.scan(io.BytesIO(b"hello")) == ScanResult("clean", "")
        assert scanner.scan(io.BytesIO(b"prefix " + EICAR)).status == "infected"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("stream: OK\0", ScanResult("clean", "")),
        ("stream: Win.Test.EICAR_HDB-1 FOUND\0", ScanResult("infected", "Win.Test.EICAR_HDB-1")),
        ("INSTREAM size limit exceeded. ERROR\0", ScanResult("error", "INSTREAM size limit exceeded.")),
        ("stream: Can't allocate memory ERROR", ScanResult("error", "Can't allocate memory")),
    ],
)
def test_parse_reply(reply, expected):
    assert parse_reply(reply) == expected


def test_disabled_scanner_is_not_retryable():
    with pytest.raises(AntivirusError, match="antivirus disabled") as excinfo:
        DisabledScanner().scan(io.BytesIO(b"data"))
    assert excinfo.value.retryable is False


def test_get_scanner(settings, tmp_path):
    settings.FAIRPLACE_ANTIVIRUS = "disabled"
    assert isinstance(get_scanner(), DisabledScanner)
    settings.FAIRPLACE_ANTIVIRUS = "clamd"
    settings.FAIRPLACE_CLAMD_ADDRESS = "clamav:3310"
    scanner = get_scanner()
    assert isinstance(scanner, ClamdScanner) and scanner.address == "clamav:3310"
    settings.FAIRPLACE_CLAMD_ADDRESS = str(tmp_path / "clamd.ctl")
    assert get_scanner().address == str(tmp_path / "clamd.ctl")


@pytest.mark.parametrize(
    ("backend", "address"), [("clamd", ""), ("clamd", "clamav"), ("clamd", "clamav:port"), ("clamav", "x:1")]
)
def test_get_scanner_misconfigured(settings, backend, address):
    settings.FAIRPLACE_ANTIVIRUS = backend
    settings.FAIRPLACE_CLAMD_ADDRESS = address
    with pytest.raises(ImproperlyConfigured):
        get_scanner()
