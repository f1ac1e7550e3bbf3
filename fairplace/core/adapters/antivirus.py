"""Antivirus adapter speaking ClamAV's clamd protocol (z-prefixed commands, INSTREAM).

Configured by ``FAIRPLACE_ANTIVIRUS`` ("clamd" or "disabled") and ``FAIRPLACE_CLAMD_ADDRESS``
("host:port" for TCP, an absolute path for a unix socket).
"""

import socket
import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHUNK_SIZE = 64 * 1024
_MAX_REPLY = 4096


@dataclass(frozen=True)
class ScanResult:
    status: str  # "clean", "infected" or "error"
    detail: str = ""  # the signature name for "infected", the error text for "error"


class AntivirusError(Exception):
    """The scan could not happen; ``retryable`` tells whether trying again later makes sense."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def parse_reply(reply: str) -> ScanResult:
    """Turn a clamd INSTREAM reply ("stream: OK", "stream: X FOUND", "... ERROR") into a result."""
    text = reply.strip("\0 \r\n")
    body = text.split(": ", 1)[1] if text.startswith("stream: ") else text
    if body == "OK":
        return ScanResult("clean", "")
    if body.endswith(" FOUND"):
        return ScanResult("infected", body[: -len(" FOUND")].strip())
    if body.endswith("ERROR"):
        return ScanResult("error", body[: -len("ERROR")].strip() or text)
    return ScanResult("error", f"unexpected clamd reply: {text[:200]}")


class ClamdScanner:
    def __init__(self, address: str, timeout: float = 30.0):
        if not address:
            raise ValueError("clamd address is empty")
        self.address = address
        self.timeout = timeout
        if not address.startswith("/"):
            host, sep, port = address.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"clamd address {address!r} is neither host:port nor an absolute path")
            self._tcp = (host.strip("[]"), int(port))

    def _connect(self) -> socket.socket:
        if self.address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self.address)
            except BaseException:
                sock.close()
                raise
            return sock
        return socket.create_connection(self._tcp, timeout=self.timeout)

    @staticmethod
    def _read_reply(sock: socket.socket) -> str:
        data = b""
        while b"\0" not in data and len(data) < _MAX_REPLY:
            chunk = sock.recv(1024)
            if not chunk:
                break
            data += chunk
        return data.split(b"\0", 1)[0].decode("utf-8", "replace")

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return self._read_reply(sock).strip() == "PONG"
        except OSError:
            return False

    def scan(self, fileobj) -> ScanResult:
        if hasattr(fileobj, "seek"):
            fileobj.seek(0)
        try:
            with self._connect() as sock:
                try:
                    sock.sendall(b"zINSTREAM\0")
                    while chunk := fileobj.read(CHUNK_SIZE):
                        sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                    sock.sendall(struct.pack("!L", 0))
                except (BrokenPipeError, ConnectionResetError) as exc:
                    # clamd replies then closes the connection when it rejects the stream
                    # (size limit): read what it said before giving up.
                    send_error = exc
                else:
                    send_error = None
                reply = self._read_reply(sock)
        except OSError as exc:
            raise AntivirusError(f"clamd at {self.address} unreachable: {exc}", retryable=True) from exc
        finally:
            if hasattr(fileobj, "seek"):
                fileobj.seek(0)
        if not reply.strip():
            reason = f": {send_error}" if send_error else ""
            raise AntivirusError(f"clamd at {self.address} closed without a reply{reason}", retryable=True)
        return parse_reply(reply)


class DisabledScanner:
    """No antivirus: files stay unscanned (only their uploader may download them)."""

    def ping(self) -> bool:
        return False

    def scan(self, fileobj) -> ScanResult:
        raise AntivirusError("antivirus disabled", retryable=False)


def get_scanner():
    backend = getattr(settings, "FAIRPLACE_ANTIVIRUS", "disabled")
    if backend == "disabled":
        return DisabledScanner()
    if backend == "clamd":
        address = getattr(settings, "FAIRPLACE_CLAMD_ADDRESS", "")
        if not address:
            raise ImproperlyConfigured("FAIRPLACE_ANTIVIRUS=clamd needs FAIRPLACE_CLAMD_ADDRESS.")
        try:
            return ClamdScanner(address)
        except ValueError as exc:
            raise ImproperlyConfigured(f"FAIRPLACE_CLAMD_ADDRESS: {exc}") from exc
    raise ImproperlyConfigured(f"FAIRPLACE_ANTIVIRUS={backend!r}: expected 'clamd' or 'disabled'.")
