"""Run shell command lines the way adbd does: `/system/bin/sh -c <line>`, with mksh.

The shell is Debian's mksh (Android's own shell) named /system/bin/sh. PATH holds only the
stand-in Android tools (symlinks to one launcher that runs `toolbox.py`) and a curated set of
ordinary text tools.

Safety: a test may send `rm -rf /*` or `echo x > /etc/passwd`. Preferred mode (`bwrap`): the line
runs in a bubblewrap sandbox with every namespace unshared (no network at all), as uid/gid 2000
(Android's `shell`), on a read-only root that holds /usr, the interpreter running the tools and the
synthetic /system; only /data/local/tmp (the scratch directory) is writable. When the daemon runs
as root, bwrap itself is started as nobody (65534), so the sandbox is unprivileged in the kernel's
eyes too (files it writes belong to nobody); nobody must then reach the bound directories, so a
work_dir below a private directory (pytest's tmp_path) is replaced by a fresh directory under
the system temp dir, removed at stop. Fallback (bwrap missing or not working, detected once per process): mksh runs
directly with cwd = scratch and, when the daemon is root, as nobody. The fallback only confines a
command when the daemon is root; as an ordinary user it runs with that user's rights.

The stand-in tools reach the device model through `ToolServer`, a Unix socket served on the
model's event loop; the socket path is in the environment variable `VP_TOOLBOX_SOCKET`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass
from enum import StrEnum
import importlib.util
import logging
import os
from pathlib import Path
import py_compile
import re
import shutil
import signal
import sys
import tempfile
import threading
from typing import Any

_LOGGER = logging.getLogger(__name__)

TOOL_SOCKET_ENV = "VP_TOOLBOX_SOCKET"
SHELL_UID = 2000  # AID_SHELL
NOBODY_UID = 65534
TOOLBOX_MODULE = "vp_toolbox"
LAUNCHER_NAME = "vp-toolbox"
SOCKET_NAME = "toolbox.sock"
SANDBOX_SOCKET_DIR = "/dev/socket/vp"
SANDBOX_SCRATCH = "/data/local/tmp"
CURATED_TOOLS = (
    "grep",
    "sed",
    "cut",
    "head",
    "tail",
    "awk",
    "tr",
    "wc",
    "sort",
    "uniq",
    "cat",
    "sleep",
    "true",
    "false",
    "printf",
    "echo",
    "ls",
    "xargs",
    "tee",
    "date",
    "id",
)
# Debian's egrep/fgrep are /bin/sh scripts; ours exec grep through Android's shell.
GREP_ALIASES = {"egrep": "-E", "fgrep": "-F"}
# Debian's mksh prefixes diagnostics with a severity ("E: "); Android's mksh does not.
_SEVERITY = re.compile(rb"(?:E|W): (?=/system/bin/sh: )")
_MAX_UNIX_PATH = 100
_MAX_REQUEST = 1024 * 1024  # an argv bigger than ARG_MAX is not a real tool call
# Android has no passwd file (bionic knows the ids); GNU `id` needs one to print names.
_DEFAULT_FILES = {
    "/system/etc/passwd": "root:x:0:0::/:/system/bin/sh\nsystem:x:1000:1000::/:/system/bin/sh\n"
    "shell:x:2000:2000::/:/system/bin/sh\n",
    "/system/etc/group": "root:x:0:\nsystem:x:1000:\nshell:x:2000:\n",
    "/system/etc/hosts": "127.0.0.1       localhost\n::1             ip6-localhost\n",
}
# /bin is needed only where it is not merged into /usr (mksh lives there); /sbin never: Android's
# PATH starts with /sbin and the host's `ip`, `ifconfig` there would shadow the stand-ins.
_LIB_DIRS = ("/lib", "/lib64", "/lib32", "/libx32")


class SandboxMode(StrEnum):
    """How command lines are confined."""

    BWRAP = "bwrap"  # bubblewrap: namespaces, read-only root, uid 2000
    DIRECT_UNPRIVILEGED = "direct_unprivileged"  # mksh as nobody (daemon is root)
    DIRECT = "direct"  # mksh as the daemon's own user: no confinement


@dataclass(frozen=True)
class ToolReply:
    """What one stand-in tool invocation prints, writes and returns."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    files: tuple[tuple[str, bytes], ...] = ()  # (path as the tool saw it, content) to write


type ToolHandler = Callable[[list[str]], ToolReply]
type ToolCost = Callable[[list[str]], float]  # seconds a tool process takes (costs.py)


@dataclass(frozen=True)
class RunResult:
    """Outcome of one command line."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    timed_out: bool = False


# -- mode detection (once per process) ---------------------------------------------------------

_mode_lock = threading.Lock()
_mode_cache: dict[str, SandboxMode] = {}


def _is_root() -> bool:
    return os.geteuid() == 0


def _drop_kwargs() -> dict[str, Any]:
    """Popen arguments that run the child as nobody when the daemon is root."""
    if not _is_root():
        return {}
    return {"user": NOBODY_UID, "group": NOBODY_UID, "extra_groups": []}


def _system_binds() -> list[str]:
    """Bwrap arguments for /usr and the library directories (symlinks stay symlinks)."""
    args = ["--ro-bind", "/usr", "/usr"]
    if Path("/bin").is_dir() and not Path("/bin").is_symlink():
        args += ["--ro-bind", "/bin", "/bin"]
    for path in _LIB_DIRS:
        host = Path(path)
        if host.is_symlink():
            args += ["--symlink", str(host.readlink()), path]
        elif host.is_dir():
            args += ["--ro-bind", path, path]
    return args


async def _probe_bwrap() -> bool:
    """Whether bwrap can build a user-namespace sandbox here (as nobody when root)."""
    bwrap = shutil.which("bwrap")
    true = shutil.which("true")
    if bwrap is None or true is None:
        return False
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--uid",
        str(SHELL_UID),
        "--gid",
        str(SHELL_UID),
        "--",
        true,
    ]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            **_drop_kwargs(),
        )
        async with asyncio.timeout(10):
            _, err = await proc.communicate()
    except (OSError, TimeoutError) as exc:
        _LOGGER.warning("bwrap probe failed: %s", exc)
        return False
    if proc.returncode != 0:
        _LOGGER.warning("bwrap unusable (%s): %s", proc.returncode, err.decode(errors="replace"))
    return proc.returncode == 0


async def detect_mode() -> SandboxMode:
    """Pick the sandbox mode for this process; the probe runs once."""
    with _mode_lock:
        cached = _mode_cache.get("mode")
    if cached is not None:
        return cached
    if await _probe_bwrap():
        mode = SandboxMode.BWRAP
    else:
        mode = SandboxMode.DIRECT_UNPRIVILEGED if _is_root() else SandboxMode.DIRECT
        _LOGGER.warning("no usable bwrap: shell commands run %s", mode)
    with _mode_lock:
        _mode_cache.setdefault("mode", mode)
        return _mode_cache["mode"]


# -- the tool server ----------------------------------------------------------------------------


def _encode_reply(reply: ToolReply) -> bytes:
    """Binary reply of the toolbox protocol (see toolbox.py)."""
    parts = [
        b"%d %d %d %d\n"
        % (reply.exit_code, len(reply.stdout), len(reply.stderr), len(reply.files)),
        reply.stdout,
        reply.stderr,
    ]
    for path, data in reply.files:
        raw = os.fsencode(path)
        parts += [b"%d %d\n" % (len(raw), len(data)), raw, data]
    return b"".join(parts)


def _parse_request(data: bytes) -> list[str]:
    argv = [os.fsdecode(arg) for arg in data.split(b"\0")]
    if not argv[0]:
        raise ValueError("empty argv")
    return argv


class ToolServer:
    """Answers the stand-in tools over a Unix socket, on the loop that started it."""

    def __init__(self, path: Path, handler: ToolHandler, cost: ToolCost | None = None) -> None:
        """Serve `handler` at `path` once started; `cost` gives each tool's simulated run time."""
        self.path = path
        self._handler = handler
        self._cost = cost
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind the socket (any user may connect: the sandbox user is not the daemon's)."""
        self.path.unlink(missing_ok=True)
        dir_fd = os.open(self.path.parent, os.O_PATH | os.O_DIRECTORY)
        try:
            # sun_path holds ~108 bytes; a long work_dir is reached through the fd instead.
            bind_path = str(self.path)
            if len(bind_path) > _MAX_UNIX_PATH:
                bind_path = f"/proc/self/fd/{dir_fd}/{self.path.name}"
            self._server = await asyncio.start_unix_server(self._serve, path=bind_path)
        finally:
            os.close(dir_fd)
        self.path.chmod(0o666)

    async def stop(self) -> None:
        """Stop answering and remove the socket."""
        if self._server is not None:
            self._server.close()
            # Since 3.12 wait_closed() waits for open connections: cut any stuck tool first.
            self._server.abort_clients()
            await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.read(_MAX_REQUEST)
            await self._simulate_cost(request)
            writer.write(_encode_reply(self._answer(request)))
            await writer.drain()
        except (ConnectionError, OSError) as exc:
            _LOGGER.debug("toolbox client went away: %s", exc)
        finally:
            writer.close()

    async def _simulate_cost(self, request: bytes) -> None:
        """Wait the tool's modelled run time (costs.py) before it acts; other tools keep running."""
        if self._cost is None:
            return
        try:
            delay = self._cost(_parse_request(request))
        except ValueError:
            return
        if delay > 0:
            await asyncio.sleep(delay)

    def _answer(self, request: bytes) -> ToolReply:
        try:
            argv = _parse_request(request)
        except ValueError as exc:
            return ToolReply(stderr=f"toolbox: bad request: {exc}\n".encode(), exit_code=1)
        try:
            return self._handler(argv)
        except Exception:
            # A bug in the model must look like a crashing tool, not kill the server.
            _LOGGER.exception("tool %s failed", argv)
            return ToolReply(stderr=f"{argv[0]}: internal error\n".encode(), exit_code=1)


# -- the file system the shell sees ---------------------------------------------------------------


def _interpreter() -> Path:
    """Return the real interpreter behind this venv; -I -S needs no venv."""
    return Path(sys.executable).resolve()


def _launcher_source() -> str:
    return (
        f"#!{_interpreter()} -IS\n"
        "import os, sys\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname("
        "os.path.realpath(__file__))), 'framework'))\n"
        f"import {TOOLBOX_MODULE}\n"
        f"sys.exit({TOOLBOX_MODULE}.main(sys.argv))\n"
    )


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _install_toolbox(system: Path) -> None:
    """Copy toolbox.py into /system/framework and compile it (the sandbox cannot write .pyc)."""
    framework = system / "framework"
    framework.mkdir(parents=True, exist_ok=True)
    target = framework / f"{TOOLBOX_MODULE}.py"
    shutil.copyfile(Path(__file__).with_name("toolbox.py"), target)
    cache = importlib.util.cache_from_source(str(target))
    py_compile.compile(str(target), cfile=cache, doraise=True)
    _write(system / "bin" / LAUNCHER_NAME, _launcher_source(), 0o755)


def _link_curated(bin_dir: Path, shell: str) -> None:
    for name in CURATED_TOOLS:
        found = shutil.which(name)
        if found is None:
            _LOGGER.warning("text tool %s not found on the host", name)
            continue
        (bin_dir / name).symlink_to(Path(found).resolve())
    for name, flag in GREP_ALIASES.items():
        _write(bin_dir / name, f'#!{shell}\nexec grep {flag} "$@"\n', 0o755)


class Sandbox:
    """Runs command lines in the device's shell; one instance per device model."""

    def __init__(
        self,
        root: Path,
        *,
        tools: Iterable[str],
        handler: ToolHandler,
        env: Mapping[str, str],
        files: Mapping[str, str] | None = None,
        timeout_s: float = 60.0,
        max_output: int = 64 * 1024 * 1024,
        tool_cost: ToolCost | None = None,
    ) -> None:
        """Prepare (nothing happens before `start`).

        `env` is adbd's shell environment (PATH as the device has it); `files` maps absolute
        device paths (/system/build.prop, /sys/class/net/wlan0/address) to their text.
        """
        self.root = root
        self.tools = tuple(tools)
        self.env = dict(env)
        self.files = _DEFAULT_FILES | dict(files or {})
        self.timeout_s = timeout_s
        self.max_output = max_output
        self.mode = SandboxMode.DIRECT
        self._server = ToolServer(root / "run" / SOCKET_NAME, handler, tool_cost)
        self._binds: dict[str, Path] = {}  # sandbox path -> host directory
        self._private_root: Path | None = None
        self._link_dir: Path | None = None
        self._client_socket = self._server.path
        self._started = False

    @property
    def scratch_dir(self) -> Path:
        """Host directory that the shell sees as /data/local/tmp."""
        return self.root / "scratch"

    @property
    def fs_root(self) -> Path:
        """Host directory holding the synthetic /system, /sys, ... trees."""
        return self.root / "fs"

    async def start(self) -> None:
        """Detect the mode, lay out the file system, start the tool server."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root = self.root.resolve()
        self.mode = await detect_mode()
        if _is_root() and not _searchable(self.root):
            # The sandbox runs as nobody, who must reach these directories (bwrap resolves
            # bind sources with the caller's rights): use a private root nobody can reach.
            self._private_root = Path(tempfile.mkdtemp(prefix="vp-sandbox-"))
            self._private_root.chmod(0o711)
            self.root = self._private_root
        self._server.path = self.root / "run" / SOCKET_NAME
        self._layout()
        await self._server.start()
        self._binds = self._bind_map()
        self._client_socket = self._short_socket_path()
        self._started = True

    def _short_socket_path(self) -> Path:
        """Return the socket path tools connect to (a short symlink if the real one is long)."""
        if self.mode is SandboxMode.BWRAP or len(str(self._server.path)) <= _MAX_UNIX_PATH:
            return self._server.path
        self._link_dir = Path(tempfile.mkdtemp(prefix="vp-sock-"))
        self._link_dir.chmod(0o755)
        link = self._link_dir / "s"
        link.symlink_to(self._server.path)
        return link

    async def stop(self) -> None:
        """Stop the tool server; remove the private root if one was needed."""
        await self._server.stop()
        if self._link_dir is not None:
            shutil.rmtree(self._link_dir, ignore_errors=True)
            self._link_dir = None
        if self._private_root is not None:
            shutil.rmtree(self._private_root, ignore_errors=True)
            self._private_root = None
        self._started = False

    def _layout(self) -> None:
        if self.fs_root.exists():
            shutil.rmtree(self.fs_root)
        system = self.fs_root / "system"
        bin_dir = system / "bin"
        bin_dir.mkdir(parents=True)
        shell = "/system/bin/sh" if self.mode is SandboxMode.BWRAP else str(bin_dir / "sh")
        mksh = shutil.which("mksh")
        if mksh is None:
            raise RuntimeError("mksh is not installed (Debian package mksh)")
        (bin_dir / "sh").symlink_to(Path(mksh).resolve())
        _link_curated(bin_dir, shell)
        _install_toolbox(system)
        for tool in self.tools:
            (bin_dir / tool).symlink_to(LAUNCHER_NAME)
        for device_path, text in self.files.items():
            _write(self.fs_root / device_path.lstrip("/"), text)
        self._make_runtime_dirs()

    def _make_runtime_dirs(self) -> None:
        run_dir = self.root / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        run_dir.chmod(0o755)
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        self.scratch_dir.chmod(0o771)
        if _is_root():
            # The sandbox user (nobody outside, shell inside) owns /data/local/tmp.
            os.chown(self.scratch_dir, NOBODY_UID, NOBODY_UID)

    def _bind_map(self) -> dict[str, Path]:
        """Map what bwrap mounts: the synthetic trees, socket, scratch and interpreter."""
        binds = {f"/{entry.name}": entry for entry in sorted(self.fs_root.iterdir())}
        binds[SANDBOX_SOCKET_DIR] = self.root / "run"
        binds[SANDBOX_SCRATCH] = self.scratch_dir
        prefix = Path(sys.base_prefix).resolve()
        if not prefix.is_relative_to("/usr"):
            binds[str(prefix)] = prefix
        return binds

    # -- running ------------------------------------------------------------------------------

    def _bwrap_argv(self, command: str) -> list[str]:
        bwrap = shutil.which("bwrap") or "bwrap"
        argv = [
            bwrap,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--uid",
            str(SHELL_UID),
            "--gid",
            str(SHELL_UID),
            "--hostname",
            "localhost",
            *_system_binds(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
        ]
        for dest, source in self._binds.items():
            option = "--bind" if dest == SANDBOX_SCRATCH else "--ro-bind"
            argv += [option, str(source), dest]
        argv += ["--symlink", "/system/etc", "/etc", "--remount-ro", "/", "--clearenv"]
        for key, value in self._shell_env().items():
            argv += ["--setenv", key, value]
        return [*argv, "--chdir", "/", "/system/bin/sh", "-c", command]

    def _shell_env(self) -> dict[str, str]:
        env = dict(self.env)
        if self.mode is SandboxMode.BWRAP:
            env |= {
                TOOL_SOCKET_ENV: f"{SANDBOX_SOCKET_DIR}/{SOCKET_NAME}",
                "TMPDIR": SANDBOX_SCRATCH,
            }
        else:
            env |= {
                TOOL_SOCKET_ENV: str(self._client_socket),
                "TMPDIR": str(self.scratch_dir),
                "PATH": str(self.fs_root / "system" / "bin"),
            }
        return env

    async def _spawn(self, command: str, merge_stderr: bool) -> asyncio.subprocess.Process:
        common: dict[str, Any] = {
            "stdin": asyncio.subprocess.DEVNULL,
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
            "start_new_session": True,
            **_drop_kwargs(),
        }
        if self.mode is SandboxMode.BWRAP:
            return await asyncio.create_subprocess_exec(*self._bwrap_argv(command), **common)
        return await asyncio.create_subprocess_exec(
            "/system/bin/sh",
            "-c",
            command,
            executable=self.fs_root / "system" / "bin" / "sh",
            env=self._shell_env(),
            cwd=self.scratch_dir,
            **common,
        )

    async def run(self, command: str, *, merge_stderr: bool) -> RunResult:
        """Run one command line; never blocks the loop; killed after `timeout_s`."""
        if not self._started:
            raise RuntimeError("sandbox not started")
        proc = await self._spawn(command, merge_stderr)
        collector = _Collector(proc, self.max_output)
        timed_out = False
        try:
            async with asyncio.timeout(self.timeout_s):
                await collector.wait()
        except TimeoutError:
            timed_out = True
            collector.kill()
            await collector.wait()
        code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
        return RunResult(
            _strip_severity(bytes(collector.stdout)),
            _strip_severity(bytes(collector.stderr)),
            _exit_status(code),
            timed_out,
        )


def _searchable(path: Path) -> bool:
    """Whether any user may walk down to `path` (every parent has o+x)."""
    return all(parent.stat().st_mode & 0o001 for parent in (path, *path.parents))


def _strip_severity(data: bytes) -> bytes:
    return _SEVERITY.sub(b"", data)


def _exit_status(returncode: int) -> int:
    """Return a shell's exit status: 128 + signal for a killed process."""
    return 128 - returncode if returncode < 0 else returncode


class _Collector:
    """Reads a process's output into memory, up to a cap (then the process is killed)."""

    def __init__(self, proc: asyncio.subprocess.Process, cap: int) -> None:
        self.proc = proc
        self.cap = cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._killed = False

    async def wait(self) -> None:
        readers = [self._read(self.proc.stdout, self.stdout)]
        if self.proc.stderr is not None:
            readers.append(self._read(self.proc.stderr, self.stderr))
        await asyncio.gather(*readers)
        await self.proc.wait()

    async def _read(self, stream: asyncio.StreamReader | None, into: bytearray) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            room = self.cap - len(self.stdout) - len(self.stderr)
            into += chunk[: max(room, 0)]
            if room <= len(chunk):
                self.kill()

    def kill(self) -> None:
        """Kill the whole process group (bwrap takes the sandbox with it)."""
        if self._killed or self.proc.returncode is not None:
            return
        self._killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
