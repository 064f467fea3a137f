"""The stand-in Android tools: one multi-call program, like Android's toybox.

`dumpsys`, `am`, `input`, `getprop`, ... in the sandbox's /system/bin are symlinks to a launcher
that imports this module with `python -I -S` (no site, no venv: quick to start). It only forwards:
it sends its argv to the device model over the Unix socket named in `VP_TOOLBOX_SOCKET`, then
prints what the model answered, writes the files it asked for and exits with its exit code. All
behaviour lives in the device model, in the daemon's process; like on Android, every tool
invocation is a process of its own.

Wire format (no json/base64: they would double the start-up time):
- request: the argv, NUL-separated (argv strings cannot contain NUL), then end of stream;
- reply: the line `<exit> <len stdout> <len stderr> <n files>`, stdout, stderr, then per file
  the line `<len path> <len data>`, path, data (lines end with a newline).

Standard library only, and only light modules: it starts once per tool call.
"""

import _socket
import os
import sys

SOCKET_ENV = "VP_TOOLBOX_SOCKET"
TIMEOUT_S = 60.0


def _exchange(path: str, argv: list[str]) -> bytes:
    """Send the argv, read the whole reply."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(TIMEOUT_S)
        sock.connect(path)
        sock.sendall(b"\0".join(os.fsencode(arg) for arg in argv))
        sock.shutdown(_socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    finally:
        sock.close()
    return b"".join(chunks)


def _split(data: bytes, offset: int) -> tuple[list[int], int]:
    """Parse one header line of numbers starting at `offset`."""
    end = data.index(b"\n", offset)
    return [int(field) for field in data[offset:end].split()], end + 1


def _write_file(path: bytes, data: bytes) -> None:
    """Write a file the tool produces (screencap FILE), as the sandbox user, where it may."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _emit(reply: bytes) -> int:
    """Print the reply, write its files, return the exit code."""
    (code, out_len, err_len, files), pos = _split(reply, 0)
    stdout = reply[pos : pos + out_len]
    stderr = reply[pos + out_len : pos + out_len + err_len]
    pos += out_len + err_len
    for _ in range(files):
        (path_len, data_len), pos = _split(reply, pos)
        _write_file(reply[pos : pos + path_len], reply[pos + path_len : pos + path_len + data_len])
        pos += path_len + data_len
    sys.stdout.buffer.write(stdout)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(stderr)
    sys.stderr.buffer.flush()
    return code & 0xFF


def main(argv: list[str]) -> int:
    """Forward `argv` to the device model; return the tool's exit code."""
    name = argv[0].rsplit("/", 1)[-1]
    try:
        return _emit(_exchange(os.environ[SOCKET_ENV], [name, *argv[1:]]))
    except (OSError, KeyError, ValueError) as err:
        sys.stderr.write(f"{name}: {err}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
