"""The sandbox every grading kernel runs in: what it may see, what it may use, and what actually bound.

Each kernel (a student's submission or a master) is started by ``SandboxedKernelManager`` inside
bubblewrap (``bwrap``): its own user, PID, network, mount, IPC and UTS namespaces; uid 65534; a
scrubbed environment; read-only views of the interpreter, the venv, the ``triangles`` package and the
kit's ``data/`` and ``seeds/``; one private writable scratch folder (the kernel's working folder, its
connection file and its IPC sockets). ``course/``, the output folder, the other submissions and the
instructor's home are simply not in its file system. The grader talks to it over jupyter_client's IPC
transport (unix sockets in the scratch folder), which crosses the namespaces where loopback TCP cannot.

Caps, each settable (``Limits``): memory and process count through a cgroup made for each kernel
(cgroup v1 ``memory``/``pids``, or a delegated cgroup v2 group); address space and file size through
``prlimit``; time (per cell) and output size (per cell) by the grader. ``Host.detect`` finds out what
this machine allows; every result records which caps were in force (``record``), so nothing claims a
cap that did not bind.

Where bwrap cannot run, a container runtime (podman, then docker) is used if one works and an image
is given (``--container-image``); otherwise grading is refused (``SandboxUnavailable``) unless the
instructor asks for ``--unsandboxed``, which is then recorded on every result.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from ..paths import DATA_DIR, SEEDS_DIR

PACKAGE_DIR = Path(__file__).resolve().parent.parent
NOBODY = 65534
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Single files from /etc a Python kernel needs; the rest of /etc (shadow, the host's config) stays out.
ETC_FILES = ("ld.so.cache", "localtime", "fonts", "passwd", "group", "nsswitch.conf", "ssl", "mime.types",
             "matplotlibrc")


class SandboxUnavailable(RuntimeError):
    """No sandbox can run here and --unsandboxed was not given: grading is refused."""


@dataclass(frozen=True)
class Limits:
    """Caps for one kernel. 0 turns a cap off."""
    memory_mb: int = 2048          # cgroup memory (RAM + swap) of the whole sandbox
    processes: int = 128           # cgroup pids: processes and threads of the whole sandbox
    address_space_mb: int = 4096   # prlimit --as, per process: binds even without cgroups
    file_mb: int = 256             # prlimit --fsize: largest file a process may write
    output_mb: float = 10.0        # output of one cell the grader keeps; the rest is dropped and flagged
    notebook_seconds: float = 0    # the whole notebook; 0: --timeout x the master's code cells


@dataclass(frozen=True)
class Host:
    """What this machine allows (found once by ``detect``; workers receive it ready-made)."""
    bwrap: str | None = None            # path of a bwrap that can build our sandbox
    bwrap_problem: str = ""             # why not, if it cannot
    prlimit: str | None = None
    cgroup: str = ""                    # "v1", "v2" or "" (none writable)
    cgroup_dirs: dict = field(default_factory=dict)   # controller -> our own cgroup folder
    container: str | None = None        # podman/docker that answers `info` (looked for only without bwrap)

    @classmethod
    def detect(cls) -> "Host":
        return _detect()


@dataclass(frozen=True)
class Sandbox:
    """How kernels are run in this grading run (picklable: it travels to the worker processes)."""
    mode: str                           # "bwrap", "podman", "docker" or "none"
    limits: Limits = Limits()
    host: Host = Host()
    image: str | None = None            # container image (podman/docker mode only)

    def record(self) -> dict:
        """What every result stores: the mode and, per cap, its value and what enforced it (or not)."""
        return {"mode": self.mode, "caps": caps_in_force(self)}

    def key(self) -> str:
        """Part of every result's input key: a result graded another way is graded again."""
        return repr((self.mode, self.image, sorted(asdict(self.limits).items())))


def choose(limits: Limits, unsandboxed: bool = False, image: str | None = None, host: Host | None = None) -> Sandbox:
    """The sandbox for this run, or SandboxUnavailable with the reason and what to do."""
    if unsandboxed:  # prlimit's caps still apply to a kernel that runs as the instructor
        return Sandbox("none", limits, host or Host(prlimit=shutil.which("prlimit")))
    host = host or Host.detect()
    if host.bwrap:
        return Sandbox("bwrap", limits, host)
    if host.container and image:
        return Sandbox(Path(host.container).name, limits, host, image)
    why = [f"bubblewrap cannot run here: {host.bwrap_problem}"]
    if host.container:
        why.append(f"{host.container} works, but no --container-image was given (an image with this kit's "
                   "requirements installed, e.g. built FROM python:3.11-slim with `pip install -r requirements.txt`)")
    else:
        why.append("no working podman or docker either")
    raise SandboxUnavailable(
        "refusing to run students' code outside a sandbox: " + "; ".join(why) + ". Install bubblewrap "
        "(Debian/Ubuntu: apt-get install bubblewrap), or pass --unsandboxed to grade anyway: student code "
        "then runs as you, can read the masters and change other results, and every result says so.")


# --------------------------------------------------------------------------------------------
# What the host allows
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _detect() -> Host:
    bwrap, problem = _find_bwrap()
    groups = _own_cgroups()
    version = "v2" if "unified" in groups else "v1" if groups else ""
    return Host(bwrap=bwrap, bwrap_problem=problem, prlimit=shutil.which("prlimit"), cgroup=version,
                cgroup_dirs=groups, container=None if bwrap else _find_container())  # asked only if needed


def _find_bwrap() -> tuple[str | None, str]:
    path = shutil.which("bwrap")
    if path is None:
        return None, "the bwrap command is not installed"
    probe = [path, *_namespace_flags(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{path} did not start ({exc})"
    if done.returncode != 0:
        return None, f"{path} failed: {done.stderr.strip()[:200] or f'exit {done.returncode}'}"
    return path, ""


def _own_cgroups() -> dict[str, str]:
    """controller -> the folder of the cgroup this process is in, where we may make child groups.
    cgroup v1: 'memory' and 'pids' each, if writable. cgroup v2: 'unified', if both controllers are
    delegated to our group (its cgroup.subtree_control lists them)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(","):
            if name in ("memory", "pids"):
                folder = CGROUP_ROOT / name / path.lstrip("/")
                if _can_make_child(folder):
                    found[name] = str(folder)
        if controllers == "" and not found:
            base = CGROUP_ROOT if (CGROUP_ROOT / "cgroup.controllers").exists() else CGROUP_ROOT / "unified"
            folder = base / path.lstrip("/")
            try:
                delegated = set((folder / "cgroup.subtree_control").read_text().split())
            except OSError:
                delegated = set()
            if {"memory", "pids"} <= delegated and _can_make_child(folder):
                found = {"unified": str(folder)}
    if set(found) not in ({"memory", "pids"}, {"unified"}, {"memory"}, {"pids"}):
        return {}
    return found


def _can_make_child(folder: Path) -> bool:
    probe = folder / f"triangles-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


def _find_container() -> str | None:
    for name in ("podman", "docker"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            if subprocess.run([path, "info"], capture_output=True, timeout=20).returncode == 0:
                return path
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def caps_in_force(sandbox: Sandbox) -> dict[str, dict]:
    """Per cap: its value and what enforces it, or 'not enforced' with the reason."""
    limits, host = sandbox.limits, sandbox.host
    off = {"value": 0, "enforced_by": "off (0)"}

    def cap(value, by: str | None, why_not: str) -> dict:
        if not value:
            return off
        return {"value": value, "enforced_by": by} if by else {"value": value, "enforced_by": None, "why_not": why_not}

    cgroup = {"v1": "cgroup v1", "v2": "cgroup v2"}.get(host.cgroup)
    notebook = {"value": limits.notebook_seconds or "--timeout x the master's code cells", "enforced_by": "grader"}
    if sandbox.mode in ("podman", "docker"):
        return {"memory_mb": cap(limits.memory_mb, sandbox.mode, ""),
                "processes": cap(limits.processes, sandbox.mode, ""),
                "address_space_mb": cap(limits.address_space_mb, None, "not passed to containers"),
                "file_mb": cap(limits.file_mb, f"{sandbox.mode} --ulimit", ""),
                "output_mb": cap(limits.output_mb, "grader", ""), "notebook_seconds": notebook,
                "pid_namespace": True, "network": False}
    prlimit = "prlimit" if host.prlimit else None
    if sandbox.mode == "none":
        why = "grading ran unsandboxed (--unsandboxed)"
        return {"memory_mb": cap(limits.memory_mb, None, why), "processes": cap(limits.processes, None, why),
                "address_space_mb": cap(limits.address_space_mb, prlimit, why),
                "file_mb": cap(limits.file_mb, prlimit, why),
                "output_mb": cap(limits.output_mb, "grader", ""), "notebook_seconds": notebook,
                "pid_namespace": False, "network": True}
    no_cgroup = "no writable cgroup (memory/pids) for this process"
    memory_by = cgroup if ("memory" in host.cgroup_dirs or "unified" in host.cgroup_dirs) else None
    pids_by = cgroup if ("pids" in host.cgroup_dirs or "unified" in host.cgroup_dirs) else None
    on_ram = scratch_root() is not None
    disk = cap(limits.memory_mb, "memory cgroup (scratch folder and /tmp on tmpfs)" if memory_by and on_ram else None,
               "scratch folder on disk or no memory cgroup: capped per file (file_mb) only")
    return {"memory_mb": cap(limits.memory_mb, memory_by, no_cgroup),
            "processes": cap(limits.processes, pids_by, no_cgroup), "scratch_disk_mb": disk,
            "address_space_mb": cap(limits.address_space_mb, prlimit, "prlimit is not installed"),
            "file_mb": cap(limits.file_mb, prlimit, "prlimit is not installed"),
            "output_mb": cap(limits.output_mb, "grader", ""), "notebook_seconds": notebook,
            "pid_namespace": True, "network": False}


# --------------------------------------------------------------------------------------------
# Building the command
# --------------------------------------------------------------------------------------------

def _namespace_flags() -> list[str]:
    return ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def readable_paths() -> list[Path]:
    """What a kernel may read (read-only): the interpreter, the venv, the package, data and seeds."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix), PACKAGE_DIR, DATA_DIR, SEEDS_DIR}
    return sorted((p for p in paths if p.exists()), key=lambda p: len(p.parts))


def kernel_env(scratch: Path) -> dict[str, str]:
    """The whole environment of a kernel: nothing of the instructor's is passed on."""
    home = str(scratch / "work")
    return {"HOME": home, "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(scratch / "mpl"),
            "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def bwrap_command(bwrap: str, scratch: Path, workdir: Path, tmp_bytes: int = 0) -> list[str]:
    """bwrap's arguments, in the order that matters: /proc, /dev and /tmp first, then read-only binds,
    then the writable scratch folder (a --tmpfs /tmp after it would hide a scratch under /tmp).
    The kernel's /tmp is a tmpfs of at most ``tmp_bytes`` (when given)."""
    cmd = [bwrap, *_namespace_flags(), "--proc", "/proc", "--dev", "/dev"]
    cmd += (["--size", str(tmp_bytes)] if tmp_bytes else []) + ["--tmpfs", "/tmp"]
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            cmd += ["--ro-bind", str(path), str(path)]
    for path in readable_paths():
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(scratch), str(scratch), "--clearenv"]
    for name, value in kernel_env(scratch).items():
        cmd += ["--setenv", name, value]
    return cmd + ["--chdir", str(workdir), "--"]


def container_command(runtime: str, image: str, name: str, scratch: Path, workdir: Path, limits: Limits) -> list[str]:
    """The same sandbox from podman/docker (Linux hosts: the IPC sockets live in a bound folder).
    Not run on the machine the kit was built on (it has no container daemon)."""
    cmd = [runtime, "run", "--rm", "--init", "--name", name, "--network", "none", "--read-only",
           "--user", f"{NOBODY}:{NOBODY}", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
           "--tmpfs", "/tmp", "-w", str(workdir), "-v", f"{scratch}:{scratch}"]
    if limits.memory_mb:
        cmd += ["--memory", f"{limits.memory_mb}m", "--memory-swap", f"{limits.memory_mb}m"]
    if limits.processes:
        cmd += ["--pids-limit", str(limits.processes)]
    if limits.file_mb:
        cmd += ["--ulimit", f"fsize={limits.file_mb * 2**20}"]
    for path in readable_paths():
        if path != Path(sys.base_prefix).resolve():  # the image brings its own interpreter
            cmd += ["-v", f"{path}:{path}:ro"]
    for key, value in kernel_env(scratch).items():
        cmd += ["-e", f"{key}={value}"]
    return cmd + [image]


def prlimit_command(prlimit: str | None, limits: Limits) -> list[str]:
    if not prlimit:
        return []
    cmd = [prlimit]
    if limits.address_space_mb:
        cmd.append(f"--as={limits.address_space_mb * 2**20}")
    if limits.file_mb:
        cmd.append(f"--fsize={limits.file_mb * 2**20}")
    return cmd + ["--"] if len(cmd) > 1 else []


# --------------------------------------------------------------------------------------------
# cgroups: one group per kernel, removed afterwards
# --------------------------------------------------------------------------------------------

class CgroupSet:
    """The cgroup(s) of one kernel. ``join_command`` puts the launcher into them before it execs the
    sandbox, so the kernel and everything it starts is counted; ``close`` kills what is left and
    removes the groups."""

    def __init__(self, host: Host, limits: Limits):
        self.folders: list[Path] = []
        self.memory: Path | None = None
        name = f"triangles-grade-{os.getpid()}-{secrets.token_hex(4)}"
        for controller, parent in host.cgroup_dirs.items():
            folder = Path(parent) / name
            try:
                folder.mkdir()
            except OSError:
                continue
            self.folders.append(folder)
            if controller == "unified":
                self._write(folder / "pids.max", limits.processes or "max")
                self._write(folder / "memory.max", limits.memory_mb * 2**20 if limits.memory_mb else "max")
                self._write(folder / "memory.swap.max", 0 if limits.memory_mb else "max")
                self.memory = folder
            elif controller == "pids" and limits.processes:
                self._write(folder / "pids.max", limits.processes)
            elif controller == "memory" and limits.memory_mb:
                self._write(folder / "memory.limit_in_bytes", limits.memory_mb * 2**20)
                self._write(folder / "memory.memsw.limit_in_bytes", limits.memory_mb * 2**20)
                self.memory = folder

    @staticmethod
    def _write(path: Path, value) -> None:
        try:
            path.write_text(str(value))
        except OSError:  # memsw is absent without swap accounting: RAM alone is still capped
            pass

    def join_command(self) -> list[str]:
        if not self.folders:
            return []
        joins = " && ".join(f"echo $$ > '{f / 'cgroup.procs'}'" for f in self.folders)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh"]

    def out_of_memory(self) -> bool:
        """Did the memory cap kill something in this group?"""
        if self.memory is None:
            return False
        for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
            try:
                for line in (self.memory / name).read_text().splitlines():
                    field_name, _, value = line.partition(" ")
                    if field_name == key and int(value) > 0:
                        return True
            except (OSError, ValueError):
                continue
        try:
            return int((self.memory / "memory.failcnt").read_text()) > 0 and not self._members()
        except (OSError, ValueError):
            return False

    def _members(self) -> set[int]:
        pids: set[int] = set()
        for folder in self.folders:
            try:
                pids |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return pids

    def close(self) -> None:
        for _ in range(50):
            members = self._members()
            if not members:
                break
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# The kernel manager
# --------------------------------------------------------------------------------------------

class SandboxedKernelManager(AsyncKernelManager):
    """A KernelManager whose kernel runs in the sandbox. Give it ``sandbox`` and ``scratch`` (a
    private folder: the connection file and IPC sockets go there, the kernel works in scratch/work).
    Interrupts go as messages (the kernel is in its own session, out of reach of the process-group
    signal jupyter_client would send)."""

    def __init__(self, *, sandbox: Sandbox, scratch: Path, **kwargs):
        scratch = Path(scratch)
        if sandbox.mode != "none":
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(scratch / "kernel-ipc"))
        super().__init__(**kwargs)
        self.connection_file = str(scratch / "kernel.json")
        self.sandbox_config = sandbox
        self.scratch = scratch
        self.cgroups: CgroupSet | None = None
        self.container_name = f"triangles-grade-{secrets.token_hex(6)}"

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        sandbox, workdir = self.sandbox_config, self.scratch / "work"
        if sandbox.mode != "none":
            self.kernel_spec.interrupt_mode = "message"
        if sandbox.mode == "none":
            return prlimit_command(sandbox.host.prlimit, sandbox.limits) + cmd
        if sandbox.mode == "bwrap":
            self.cgroups = CgroupSet(sandbox.host, sandbox.limits)
            return (self.cgroups.join_command() + prlimit_command(sandbox.host.prlimit, sandbox.limits)
                    + bwrap_command(sandbox.host.bwrap, self.scratch, workdir, sandbox.limits.memory_mb * 2**20) + cmd)
        image_cmd = ["python"] + cmd[1:]  # the image's interpreter, the venv's packages on PYTHONPATH
        return container_command(sandbox.host.container, sandbox.image, self.container_name, self.scratch,
                                 workdir, sandbox.limits) + image_cmd

    def release(self) -> None:
        """After shutdown: nothing of the sandbox may outlive it."""
        if self.cgroups is not None:
            self.cgroups.close()
        if self.sandbox_config.mode in ("podman", "docker"):
            subprocess.run([self.sandbox_config.host.container, "rm", "-f", self.container_name],
                           capture_output=True, timeout=60)

    def out_of_memory(self) -> bool:
        return self.cgroups is not None and self.cgroups.out_of_memory()


SCRATCH_PREFIX = "triangles-sandbox-"


def make_scratch(root: str | None = None) -> Path:
    """A private scratch folder: scratch/work is the kernel's working folder, scratch/mpl its
    matplotlib folder. Mode 700: other local users cannot look in while a kernel runs. Its name
    carries the worker's pid, so that ``sweep`` can tell a dead worker's folder from a live one.
    It lives on a RAM file system where there is one (``scratch_root``): what a kernel writes there
    is charged to its memory cgroup, so the memory cap also caps its disk use."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=root or scratch_root()))
    os.chmod(scratch, 0o700)
    (scratch / "work").mkdir()
    (scratch / "mpl").mkdir()
    for fontlist in _matplotlib_font_lists():  # else every kernel rebuilds it: seconds per notebook
        shutil.copy2(fontlist, scratch / "mpl" / fontlist.name)
    return scratch


@functools.lru_cache(maxsize=1)
def scratch_root() -> str | None:
    """/dev/shm if it is a writable tmpfs with room (2 GiB free), else None: the system's temp folder."""
    try:
        info = os.statvfs("/dev/shm")
        with open("/proc/mounts") as mounts:
            tmpfs = any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in mounts)
    except OSError:
        return None
    roomy = info.f_bavail * info.f_frsize >= 2 * 2**30
    return "/dev/shm" if tmpfs and roomy and os.access("/dev/shm", os.W_OK) else None


@functools.lru_cache(maxsize=1)
def _matplotlib_font_lists() -> tuple[Path, ...]:
    """The grader's own matplotlib font cache (without importing matplotlib): it lists fonts under
    /usr and the venv, which the sandbox shows read-only at the same paths."""
    folders = [os.environ.get("MPLCONFIGDIR"),
               os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")]
    for folder in filter(None, folders):
        found = tuple(sorted(Path(folder).glob("fontlist-v*.json")))
        if found:
            return found
    return ()


def sweep(host: Host) -> int:
    """Remove what grading workers that were killed left behind: their cgroups (and anything still
    in them) and their scratch folders. A live worker's are left alone. Returns how many were removed."""
    removed = 0
    leftovers = [(folder, "cgroup") for parent in host.cgroup_dirs.values()
                 for folder in Path(parent).glob("triangles-grade-*")]
    leftovers += [(folder, "scratch") for root in {tempfile.gettempdir(), scratch_root() or tempfile.gettempdir()}
                  for folder in Path(root).glob(f"{SCRATCH_PREFIX}*")]
    for folder, kind in leftovers:
        try:
            pid = int(folder.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if _alive(pid):
            continue
        if kind == "cgroup":
            group = CgroupSet.__new__(CgroupSet)
            group.folders, group.memory = [folder], None
            group.close()
        else:
            shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by the grader) is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return True
