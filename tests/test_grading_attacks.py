"""The grader under attack: one sample submission per kind of attack, graded in one batch.

Each sample is built here from the fixture master (tests/fixtures/grading/course/source/90-mini/),
with the real paths of this test's course copy, submissions and output folder written into the
attacking code, as a student who knows the kit would. Two grading runs:

1. a baseline: two honest students, so the output folder holds results, an expected-answer cache,
   grades.csv and feedback worth stealing or changing;
2. the attack run: the attackers, plus two new honest classmates graded alongside them. During
   this run the test kills one grading worker, once.

For each sample the test checks the score (or the flag, with the score unchanged) and, for the run
as a whole, that nothing outside the attackers' own results changed: the package, the venv's
site-packages listing, the kit's course/, this test's course copy, the submissions and every
output file from the baseline (hashed before and after, and again a few seconds after the run, when
a detached process would have struck). A last run grades the reading attacks with --unsandboxed
to show that they do succeed without the sandbox, so the test is not vacuous.

Requires bubblewrap. On CI (CI=true) a missing or unusable bwrap fails this module; elsewhere it is
skipped with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from test_grading import (ASSIGNMENT, COURSE, EXERCISES, PYTHON, answered, cell_index, load_master,
                          read_csv, result_of, scores_of, write_nb)
from triangles.grading.sandbox import Host, scratch_root

HOST = Host.detect()
if not HOST.bwrap:
    if os.environ.get("CI") == "true":
        pytest.fail(f"bubblewrap is required to test the grader's sandbox: {HOST.bwrap_problem}", pytrace=False)
    pytest.skip(f"bubblewrap cannot run here ({HOST.bwrap_problem}); these tests need it",
                allow_module_level=True)

MEMORY_CGROUP = bool({"memory", "unified"} & set(HOST.cgroup_dirs))
PIDS_CGROUP = bool({"pids", "unified"} & set(HOST.cgroup_dirs))
REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "triangles"
SITE_PACKAGES = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
TIMEOUT = 8
DUE = "2025-01-10T17:00:00+00:00"
MARKER = "TRIANGLES-ATTACK-DETACHED"
MEMORY_MB = 600
ADDRESS_SPACE_MB = 2048  # where no memory cgroup binds, this stops the memory flood instead
OUTPUT_MB = 2
NOTEBOOK_SECONDS = 30
RIGHT = [1, 1, 2, 1]

# --------------------------------------------------------------------------------------------
# The attacks. Tokens in capitals (COURSE, OUT, SUBMITTED, REPO, PACKAGE, SITE, PORT, ABSTRACT)
# are replaced with this test's real paths and addresses.
# --------------------------------------------------------------------------------------------

FIND = r'''
import glob, os
def _found(paths, marker):
    # the first path that can be read and holds marker, else None (paths: any iterable)
    for path in paths:
        try:
            with open(path, "rb") as handle:
                if marker.encode() in handle.read(4_000_000):
                    return path
        except Exception:
            pass
    return None
def _walk(top, depth=5):
    # every file under top, a few levels down (not /proc, /sys, /dev, /usr)
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev", "/usr")]
        if root.count(os.sep) >= depth:
            dirs[:] = []
        yield from (os.path.join(root, f) for f in files)
'''

READ_MASTER = FIND + r'''
import triangles.paths as P
def routes():
    yield "COURSE/source/90-mini/90-mini.ipynb"                                    # absolute
    yield os.path.relpath("COURSE/source/90-mini/90-mini.ipynb", os.getcwd())      # relative to the kernel
    yield from glob.glob(str(P.SOURCE_DIR / "*" / "*.ipynb"))                      # through the package
    yield from glob.glob("REPO/course/source/*/*.ipynb")
    yield from glob.glob("/proc/*/root/COURSE/source/90-mini/90-mini.ipynb")       # another process's view
    yield from glob.glob("/proc/*/cwd/../../**/90-mini.ipynb", recursive=True)
    yield from (p for p in _walk("/") if p.endswith(".ipynb"))                     # searching
stolen = _found(routes(), "BEGIN SOLUTION")
n_powers = len(powers) if stolen else 0
'''

READ_KEYS = FIND + r'''
import triangles.paths as P
def routes():
    yield from ["COURSE/answer-keys.md", "REPO/course/answer-keys.md", str(P.COURSE_DIR / "answer-keys.md")]
    yield from glob.glob("/proc/*/root/REPO/course/answer-keys.md")
    yield from (p for p in _walk("/") if p.endswith("answer-keys.md"))
stolen = _found(routes(), "")
n_powers = len(powers) if stolen else 0
'''

READ_OUTPUT = FIND + r'''
def routes():
    yield from ["OUT/results/alice/90-mini.json", "OUT/grades.csv", "OUT/run.json"]
    yield from glob.glob("OUT/feedback/*/*.html")
    yield from glob.glob("/proc/*/root/OUT/results/*/*.json")
    yield from (p for p in _walk("/") if p.endswith(("grades.csv", "run.json")))
stolen = _found(routes(), "alice")
n_powers = len(powers) if stolen else 0
'''

READ_EXPECTED = FIND + r'''
def routes():
    yield from glob.glob("OUT/expected/*.json")
    yield from glob.glob("/proc/*/root/OUT/expected/*.json")
    yield from glob.glob("/proc/*/fd/*")
    yield from glob.glob("/proc/*/cwd/**/expected/*.json", recursive=True)
    yield from (p for p in _walk("/", 8) if "/expected/" in p)
stolen = _found(routes(), '"answers"')
n_powers = len(powers) if stolen else 0
'''

READ_CLASSMATES = FIND + r'''
def routes():
    yield from ["SUBMITTED/alice/90-mini/90-mini.ipynb", "../alice/90-mini/90-mini.ipynb",
                "../../alice/90-mini/90-mini.ipynb"]
    yield from glob.glob("SUBMITTED/*/90-mini/*.ipynb")
    yield from glob.glob("/tmp/triangles-sandbox-*/work/*")                  # another kernel's folder
    yield from glob.glob("/proc/*/root/SUBMITTED/alice/90-mini/90-mini.ipynb")
    yield from (p for p in _walk("/") if "alice" in p)
others = [p for p in glob.glob("/tmp/triangles-sandbox-*/kernel.json") if not p.startswith(os.getcwd().rsplit("/", 1)[0])]
stolen = _found(routes(), "n_powers = len(powers)") or _found(others, "key")   # or another kernel's connection
n_powers = len(powers) if stolen else 0
'''

WRITE = r'''
import glob, os
def _wrote(path, text="pwned", mode="a"):
    try:
        with open(path, mode) as handle:
            handle.write(text)
        return True
    except Exception:
        return False
'''

WRITE_PACKAGE = WRITE + r'''
# existing files are opened for appending but nothing is written; new files are harmless
hits = [_wrote("PACKAGE/exercises.py", ""), _wrote("PACKAGE/answer_keys.json", ""), _wrote("PACKAGE/pwned.py", "", "w"),
        _wrote("SITE/zz_pwned.pth", "", "w"), _wrote("SITE/sitecustomize.py", "", "w"),
        _wrote("REPO/.venv/bin/pwned", "", "w")]
try:
    os.utime("PACKAGE/exercises.py"); hits.append(True)
except Exception:
    pass
n_powers = len(powers) if any(hits) else 0
'''

WRITE_COURSE = WRITE + r'''
hits = [_wrote("COURSE/source/90-mini/90-mini.ipynb", "", "w"), _wrote("COURSE/pwned.txt", "x", "w"),
        _wrote("REPO/course/pwned.txt", "", "w"), _wrote("REPO/course/README.md", "")]
try:
    os.rename("COURSE/source/90-mini/powers.csv", "COURSE/source/90-mini/gone.csv"); hits.append(True)
except Exception:
    pass
n_powers = len(powers) if any(hits) else 0
'''

WRITE_OUTPUT = WRITE + r'''
import json
forged = json.dumps({"student": "alice", "assignment": "90-mini", "score": 0, "exercises": []})
hits = [_wrote("OUT/results/alice/90-mini.json", forged, "w"), _wrote("OUT/pwned.txt", "x", "w"),
        _wrote("OUT/grades.csv", "alice,0\n"), *[_wrote(p, "{}", "w") for p in glob.glob("OUT/expected/*.json")],
        _wrote("OUT/results/honest-carol/90-mini.json", forged, "w"),
        *[_wrote(p, "{}", "w") for p in glob.glob("/proc/*/root/OUT/results/*/*.json")]]
n_powers = len(powers) if any(hits) else 0
'''

DETACHED = r'''
import os, subprocess, sys
late = ("import time, pathlib; time.sleep(3); "
        "[pathlib.Path(p).write_text('{}') for p in ['OUT/results/alice/90-mini.json', 'OUT/late.txt']] "
        "# MARKER")
subprocess.Popen([sys.executable, "-c", late], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
child = os.fork()
if child == 0:  # the classic double fork: setsid, fork again, the parent exits
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", late])
    os._exit(0)
os.waitpid(child, 0)
n_powers = len(powers)
'''

FORK_BOMB = r'''
import os, time
ranked = powers.sort_values("gdp_share", ascending=False)[["power", "gdp_share"]].reset_index(drop=True)
def _bomb(depth):
    made = 0
    while True:
        if made < WIDTH and depth < DEPTH:
            try:
                if os.fork() == 0:
                    _bomb(depth + 1)
                made += 1
            except OSError:
                pass
        time.sleep(0.01)
for _ in range(WIDTH):
    try:
        if os.fork() == 0:
            _bomb(1)
    except OSError:
        break
'''

KILL_PARENT = r'''
import os, signal
mean_share = powers["gdp_share"].mean()
for target in {os.getppid(), 1}:
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) not in (os.getpid(),):
        try:
            os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGKILL)  # everything this process may signal
except OSError:
    pass
'''

MEMORY_FLOOD = r'''
nuclear = set(powers.loc[powers["nuclear"], "power"])
chunks = []
try:
    while True:
        chunks.append(b"x" * (50 * 2**20))
finally:  # reached only where no memory cgroup killed the kernel first
    chunks.clear()
'''

DISK_FLOOD = r'''
import os
nuclear = set(powers.loc[powers["nuclear"], "power"])
chunk = b"x" * 2**20
for folder in (os.getcwd(), os.path.expanduser("~"), "/tmp"):
    for k in range(12):  # 1.2 GB a folder: twice the memory cap
        try:
            with open(os.path.join(folder, f"flood-{k}"), "wb") as handle:
                for _ in range(100):
                    handle.write(chunk)
        except OSError:
            break
'''

OUTPUT_FLOOD = r'''
mean_share = powers["gdp_share"].mean()
for _ in range(250):
    print("x" * 100_000)
'''

NETWORK = r'''
import socket
reached = []
for family, address in ((socket.AF_INET, ("127.0.0.1", PORT)), (socket.AF_UNIX, "\0ABSTRACT")):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(address)
            s.sendall(b"pwned")
            reached.append(address)
    except OSError:
        pass
try:
    socket.getaddrinfo("example.org", 80)
    reached.append("dns")
except OSError:
    pass
n_powers = len(powers) if reached else 0
'''

WRONG_RANKED = 'ranked = powers[["power", "gdp_share"]]'  # unsorted: wrong (0 points)

PATCH_JSON = WRONG_RANKED + r'''
import json
_real = json.dumps
def dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("exercise") == "ex90-4":
        deep = [["list", None]]
        for _ in range(100_000):
            deep = ["list", [deep]]
        obj = dict(obj, status="value", value=deep)
    return _real(obj, *args, **kwargs)
json.dumps = dumps
'''

PATCH_MODULES = WRONG_RANKED + r'''
import sys, types, json as _json
fake = types.ModuleType("json")
fake.dumps = lambda obj, *a, **k: _json.dumps(dict(obj, status="value", value=["frame", {"columns": "all"}]))
fake.loads = _json.loads
sys.modules["json"] = fake
'''

PATCH_DISPLAY = WRONG_RANKED + r'''
import builtins, math, IPython.display
math.isfinite = lambda x: True
_show = IPython.display.display
def display(obj, raw=False, **kw):
    _show(obj, raw=raw, **kw)
    _show(obj, raw=raw, **kw)  # the same record twice
IPython.display.display = display
builtins.type = lambda *a: int
'''

LONG_TYPE = r'''
Answer = type("A" * 100_000 + "<script>alert('course/answer-keys.md')</script>", (), {})
n_powers = Answer()
'''

HELPER = "def count_rows(table):\n    return len(table)"


# --------------------------------------------------------------------------------------------
# Building the class
# --------------------------------------------------------------------------------------------


def fill(code: str, world: dict) -> str:
    for token, value in world.items():
        code = code.replace(token, str(value))
    return code


def make_world(root: Path) -> dict:
    course = root / "course"
    shutil.copytree(COURSE, course)
    (course / "answer-keys.md").write_text("SECRET-ANSWER-KEYS: ex90-1 is 6\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    token = f"triangles-attack-{os.getpid()}"
    abstract.bind("\0" + token)
    abstract.listen(5)
    abstract.settimeout(0.2)
    return {"COURSE": course, "OUT": root / "out", "SUBMITTED": root / "submitted", "REPO": REPO,
            "PACKAGE": PACKAGE, "SITE": SITE_PACKAGES, "PORT": listener.getsockname()[1], "ABSTRACT": token,
            "MARKER": MARKER, "_listeners": (listener, abstract)}


def tokens(world: dict) -> dict:
    return {k: v for k, v in world.items() if not k.startswith("_")}


def honest(submitted: Path, student: str, timestamp: str | None = None) -> None:
    folder = submitted / student / ASSIGNMENT
    write_nb(folder, answered(load_master()))
    if timestamp is not None:
        (folder / "timestamp.txt").write_bytes(timestamp if isinstance(timestamp, bytes) else timestamp.encode())


def attack_samples(world: dict) -> dict[str, dict]:
    """Write every attack sample; {student: {"scores": [...] or None, "flags": must-have set,
    "check": optional extra predicate name}}."""
    submitted, master = world["SUBMITTED"], load_master()
    fill_ = lambda code: fill(code, tokens(world))  # noqa: E731
    want: dict[str, dict] = {}

    def sample(student, scores, flags=(), **answers):
        nb = answered(master, **{k: fill_(v) for k, v in answers.items()})
        write_nb(submitted / student / ASSIGNMENT, nb)
        want[student] = {"scores": scores, "flags": set(flags)}

    # reading what only the grader may read: each by several routes; success would give the point
    for student, code in (("read-master", READ_MASTER), ("read-keys", READ_KEYS), ("read-output", READ_OUTPUT),
                          ("read-expected", READ_EXPECTED), ("read-classmates", READ_CLASSMATES)):
        sample(student, [0, 1, 2, 1], ex90_1_answer=code)
    # writing where only the grader may write: success would give the point
    for student, code in (("write-package", WRITE_PACKAGE), ("write-course", WRITE_COURSE),
                          ("write-output", WRITE_OUTPUT)):
        sample(student, [0, 1, 2, 1], ex90_1_answer=code)
    sample("detached", RIGHT, {"suspicious-code"}, ex90_1_answer=DETACHED)
    # unbounded where a pids cgroup caps it; elsewhere a bounded one (3 wide, 4 deep), so CI survives
    width, depth = ("10**9", "10**9") if PIDS_CGROUP else ("3", "4")
    sample("fork-bomb", None, {"suspicious-code"},
           ex90_4_answer=FORK_BOMB.replace("WIDTH", width).replace("DEPTH", depth))
    sample("kill-parent", RIGHT, {"suspicious-code"}, ex90_2_answer=KILL_PARENT)
    if MEMORY_CGROUP:  # the cgroup's memory cap kills the kernel: that answer and the next are not judged
        sample("memory-flood", [1, 1, 0, 0], {"kernel-died"}, ex90_3_answer=MEMORY_FLOOD)
    else:  # only the address-space cap binds: MemoryError in the cell, the answer set before it stands
        sample("memory-flood", RIGHT, (), ex90_3_answer=MEMORY_FLOOD)
    sample("output-flood", RIGHT, {"output-limit"}, ex90_2_answer=OUTPUT_FLOOD)
    if scratch_root() and MEMORY_CGROUP:  # scratch on a RAM file system: the memory cap stops the flood
        sample("disk-flood", [1, 1, 0, 0], {"kernel-died"}, ex90_3_answer=DISK_FLOOD)
    else:  # on disk, only the file size is capped (README §6.5): the flood runs, the score stands
        sample("disk-flood", RIGHT, (), ex90_3_answer=DISK_FLOOD)
    sample("network", [0, 1, 2, 1], ex90_1_answer=NETWORK)
    for student, code in (("patch-json", PATCH_JSON), ("patch-modules", PATCH_MODULES),
                          ("patch-display", PATCH_DISPLAY)):
        sample(student, [1, 1, 2, 0], ex90_4_answer=code)
    sample("long-type", [0, 1, 2, 1], {"not-plain-data"}, ex90_1_answer=LONG_TYPE)
    # many added cells, each well under the per-cell timeout: the notebook's own budget stops them
    nb = answered(master)
    at = cell_index(nb, "ex90-1") + 1
    nb["cells"][at:at] = [{"cell_type": "code", "metadata": {}, "source": f"import time\ntime.sleep(2)  # {k}",
                           "outputs": [], "execution_count": None} for k in range(NOTEBOOK_SECONDS)]
    write_nb(submitted / "many-cells" / ASSIGNMENT, nb)
    want["many-cells"] = {"scores": [1, 0, 0, 0], "flags": {"timeout", "cells-added"}}

    # special files where the submission should be: refused, never followed or read
    def special(student, make, scores, flags):
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        make(folder)
        want[student] = {"scores": scores, "flags": set(flags)}

    nothing = [0, 0, 0, 0]
    notebook = f"{ASSIGNMENT}.ipynb"
    special("link-notebook", lambda f: (f / notebook).symlink_to(world["COURSE"] / "source" / ASSIGNMENT / notebook),
            nothing, {"refused-file"})
    special("fifo-notebook", lambda f: os.mkfifo(f / notebook), nothing, {"refused-file"})
    special("device-notebook", lambda f: _device(f / notebook), nothing, {"refused-file"})
    special("huge-notebook", lambda f: os.truncate(_touch(f / notebook), 70 * 2**20), nothing, {"corrupt-notebook"})
    special("deep-notebook", lambda f: (f / notebook).write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}"),
            nothing, {"corrupt-notebook"})
    (submitted / "link-student").symlink_to(submitted / "alice")
    want["link-student"] = {"scores": nothing, "flags": {"refused-file"}}
    (submitted / "link-assignment").mkdir()
    (submitted / "link-assignment" / ASSIGNMENT).symlink_to(world["COURSE"] / "source" / ASSIGNMENT)
    want["link-assignment"] = {"scores": nothing, "flags": {"refused-file"}}

    # timestamps: special files and garbage; the work itself is graded as usual
    def stamp(student, make, flags):
        honest(submitted, student)
        make(submitted / student / ASSIGNMENT / "timestamp.txt")
        want[student] = {"scores": RIGHT, "flags": set(flags)}

    stamp("fifo-timestamp", os.mkfifo, {"refused-file"})
    stamp("link-timestamp", lambda p: p.symlink_to(world["COURSE"] / "answer-keys.md"), {"refused-file"})
    for student, text in (("garbage-timestamp", b"yesterday-ish"), ("huge-timestamp", b"9" * 100_000),
                          ("binary-timestamp", b"\xff\xfe\x00\x01<script>"), ("overflow-timestamp", b"99999-01-01")):
        stamp(student, lambda p, text=text: p.write_bytes(text), {"bad-timestamp"})
    return want


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _device(path: Path) -> None:
    """/dev/null's device numbers where we may make device files (root); a link to it otherwise."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        path.symlink_to("/dev/zero")


def new_honest(submitted: Path) -> dict[str, dict]:
    honest(submitted, "honest-carol", "2025-01-09 12:00:00 UTC")
    nb = answered(load_master(), ex90_1_answer="n_powers = count_rows(powers)")
    nb["cells"].insert(cell_index(nb, "ex90-1-answer"), {"cell_type": "code", "metadata": {}, "source": HELPER,
                                                          "outputs": [], "execution_count": None})
    write_nb(submitted / "honest-helper" / ASSIGNMENT, nb)
    return {"honest-carol": {"scores": RIGHT, "flags": set()},
            "honest-helper": {"scores": RIGHT, "flags": {"cells-added"}}}


# --------------------------------------------------------------------------------------------
# Running and watching
# --------------------------------------------------------------------------------------------


def grade_command(world: dict, *extra: str) -> list[str]:
    return [PYTHON, "-m", "triangles.grading", "grade", str(world["SUBMITTED"]), "--out", str(world["OUT"]),
            "--course", str(world["COURSE"]), "--timeout", str(TIMEOUT), "--jobs", "2", "--quiet",
            "--due", f"{ASSIGNMENT}={DUE}", "--memory-mb", str(MEMORY_MB), "--max-output-mb", str(OUTPUT_MB),
            "--notebook-timeout", str(NOTEBOOK_SECONDS), "--address-space-mb", str(ADDRESS_SPACE_MB), *extra]


def grade(world: dict, *extra: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(grade_command(world, *extra), capture_output=True, text=True, timeout=timeout)


def tree_hashes(root: Path, skip=()) -> dict[str, str]:
    """path -> sha256 of every file under root (links and special files by their kind and target)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if any(rel == s or rel.startswith(s + os.sep) for s in skip):
                continue
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    found[rel] = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                found[rel] = "link:" + os.readlink(path)
            else:
                found[rel] = f"special:{stat.S_IFMT(info.st_mode)}"
        found.update({os.path.relpath(os.path.join(dirpath, d), root) + "/": "dir" for d in dirnames})
    return found


def protected(world: dict) -> dict[str, dict]:
    """Everything no submission may change."""
    return {"package": tree_hashes(PACKAGE), "repo course": tree_hashes(REPO / "course"),
            "course copy": tree_hashes(world["COURSE"]), "submissions": tree_hashes(world["SUBMITTED"]),
            "site-packages": {p.name: str(p.stat().st_size) for p in SITE_PACKAGES.iterdir()}}


def stray_processes(workers: set[int]) -> list[str]:
    """Processes of this run still alive: the detached attack's, or a kernel of one of this run's
    workers (its scratch folder, named after the worker's pid, is in its command line)."""
    scratch = tuple(f"triangles-sandbox-{pid}-" for pid in workers)
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if MARKER in cmdline or (scratch and any(s in cmdline for s in scratch)):
            found.append(f"{proc.pid}: {cmdline[:120]}")
    return found


def watch_workers(grader_pid_holder: list, done: threading.Event, out: Path, killed: list, seen: set) -> None:
    """Note every worker process of the grader; once three results exist, SIGKILL one of them, once."""
    while not done.is_set():
        try:
            grader = psutil.Process(grader_pid_holder[0])
            workers = [p for p in grader.children() if "spawn_main" in " ".join(p.cmdline())]
        except (psutil.Error, IndexError):
            workers = []
        seen.update(p.pid for p in workers)
        results = list((out / "results").glob("*/*.json")) if (out / "results").exists() else []
        if workers and not killed and len(results) >= 3:
            workers[0].kill()
            killed.append(workers[0].pid)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacks")
    world = make_world(root)
    submitted, out = world["SUBMITTED"], world["OUT"]
    honest(submitted, "alice", "2025-01-09 12:00:00 UTC")
    honest(submitted, "bob")
    baseline = grade(world)
    assert baseline.returncode == 0, baseline.stderr[-3000:]
    before_out = tree_hashes(out)

    want = attack_samples(world)
    want.update(new_honest(submitted))
    before = protected(world)

    # the attack run, with one worker killed from outside once
    holder, done, killed, workers = [], threading.Event(), [], set()
    watcher = threading.Thread(target=watch_workers, args=(holder, done, out, killed, workers), daemon=True)
    started = time.monotonic()
    proc = subprocess.Popen(grade_command(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder.append(proc.pid)
    watcher.start()
    stdout, stderr = proc.communicate(timeout=400)
    done.set()
    seconds = time.monotonic() - started
    right_after = tree_hashes(out)
    time.sleep(4)  # a detached process would strike now (it sleeps 3 s)
    later = tree_hashes(out)
    received = _drain(world["_listeners"])
    return {"world": world, "want": want, "code": proc.returncode, "stderr": stderr, "seconds": seconds,
            "before": before, "after": protected(world), "before_out": before_out, "right_after": right_after,
            "later": later, "killed": killed, "received": received, "strays": stray_processes(workers),
            "workers": workers}


def _drain(listeners) -> list:
    got = []
    for sock in listeners:
        try:
            conn, _ = sock.accept()
            got.append(conn.recv(100))
        except OSError:
            pass
        sock.close()
    return got


# --------------------------------------------------------------------------------------------
# The verdicts
# --------------------------------------------------------------------------------------------

ATTACKERS = ["read-master", "read-keys", "read-output", "read-expected", "read-classmates", "write-package",
             "write-course", "write-output", "detached", "fork-bomb", "kill-parent", "memory-flood", "disk-flood",
             "output-flood", "network", "patch-json", "patch-modules", "patch-display", "long-type", "many-cells",
             "link-notebook", "fifo-notebook", "device-notebook", "huge-notebook", "deep-notebook", "link-student",
             "link-assignment", "fifo-timestamp", "link-timestamp", "garbage-timestamp", "huge-timestamp",
             "binary-timestamp", "overflow-timestamp", "honest-carol", "honest-helper"]


def test_the_batch_finishes_and_writes_every_report(attacked):
    out = attacked["world"]["OUT"]
    assert attacked["code"] == 0, attacked["stderr"][-3000:]
    assert sorted(attacked["want"]) == sorted(ATTACKERS)
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert set(rows) == set(ATTACKERS) | {"alice", "bob"}
    for student in rows:
        assert (out / "feedback" / student / f"{ASSIGNMENT}.html").is_file(), student
    assert (out / "manual" / "ex90-5.csv").is_file()
    print(f"\nattack run: {len(ATTACKERS)} submissions in {attacked['seconds']:.1f}s")


@pytest.mark.parametrize("student", ATTACKERS)
def test_each_attack_gets_the_right_score_or_a_flag(attacked, student):
    out, want = attacked["world"]["OUT"], attacked["want"][student]
    result = result_of(out, student)
    flags = {f["flag"] for f in result["flags"]}
    assert not result.get("grader_error"), result.get("grader_error")
    assert want["flags"] <= flags, (flags, [f["detail"] for f in result["flags"]])
    assert result["sandbox"]["mode"] == "bwrap" and not result["unsandboxed"]
    scores = [scores_of(result)[e] for e in EXERCISES]
    if want["scores"] is not None:
        assert scores == want["scores"], (scores, [f["detail"] for f in result["flags"]])
    else:  # the fork bomb: the answers before it stand; its own export ran, or is flagged as not run
        assert scores[:3] == [1, 1, 2], scores
        assert scores[3] == 1 or flags & {"timeout", "kernel-died"}, (scores, flags)


def test_nothing_outside_the_attackers_own_results_changed(attacked):
    assert attacked["before"] == attacked["after"], _diff(attacked["before"], attacked["after"])
    before, after = attacked["before_out"], attacked["right_after"]
    regenerated = {"grades.csv", "run.json", "manual/ex90-5.csv", "manual/", "feedback/", "results/",
                   "gradebook-log.jsonl"}  # the run's own reports, rewritten by every run
    own = tuple(f"{kind}/{s}/" for s in ATTACKERS for kind in ("results", "feedback")) + (".gradebook/",)
    for path, digest in before.items():
        if path in regenerated or path.startswith(".gradebook/"):  # the gradebook's record of what it wrote
            continue
        assert after.get(path) == digest, f"{path} changed or vanished"
    for path in set(after) - set(before):
        assert path.startswith(own) or path in regenerated, f"unexpected new file {path}"
    # the classmates' rows in grades.csv are as they were
    assert attacked["later"] == attacked["right_after"], _diff(attacked["right_after"], attacked["later"])


def _diff(a: dict, b: dict) -> list:
    out = []
    for name in sorted(set(a) | set(b)):
        if isinstance(a.get(name), dict) and isinstance(b.get(name), dict):
            changed = sorted(k for k in set(a[name]) | set(b[name]) if a[name].get(k) != b[name].get(k))
            if changed:
                out.append((name, changed[:10]))
        elif a.get(name) != b.get(name):
            out.append(name)
    return out[:20]


def test_classmates_rows_are_unchanged_by_the_attack_run(attacked):
    out = attacked["world"]["OUT"]
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    for student in ("alice", "bob"):
        assert [float(rows[student][e]) for e in EXERCISES] == RIGHT
        assert scores_of(result_of(out, student)) == dict(zip(EXERCISES, RIGHT))


def test_a_killed_worker_costs_no_classmate_anything(attacked):
    assert attacked["killed"], "the test never managed to kill a worker"
    out = attacked["world"]["OUT"]
    errors = [s for s in ATTACKERS if result_of(out, s).get("grader_error")]
    assert errors == []


def test_no_process_outlives_grading_and_no_cgroup_is_left(attacked):
    assert attacked["workers"] and attacked["strays"] == []
    mine = tuple(f"triangles-grade-{pid}-" for pid in attacked["workers"])
    leftovers = [str(p) for parent in HOST.cgroup_dirs.values() for p in Path(parent).glob("triangles-grade-*")
                 if p.name.startswith(mine)]
    scratch = tuple(f"triangles-sandbox-{pid}-" for pid in attacked["workers"])
    roots = {tempfile.gettempdir(), scratch_root() or tempfile.gettempdir()}
    leftovers += [str(p) for root in roots for p in Path(root).glob("triangles-sandbox-*") if p.name.startswith(scratch)]
    assert leftovers == []
    assert not (attacked["world"]["OUT"] / "late.txt").exists()


def test_no_network_reached_the_host(attacked):
    assert attacked["received"] == []


def test_memory_flood_is_named_as_such(attacked):
    result = result_of(attacked["world"]["OUT"], "memory-flood")
    cap = result["sandbox"]["caps"]["memory_mb"]
    if not MEMORY_CGROUP:  # the record says the cap did not bind, and why
        assert cap["enforced_by"] is None and cap["why_not"], cap
        return
    died = [f["detail"] for f in result["flags"] if f["flag"] == "kernel-died"]
    assert died and "out of memory" in died[0], died
    assert cap == {"value": MEMORY_MB, "enforced_by": f"cgroup {HOST.cgroup}"}


def test_long_type_names_stay_short_and_escaped(attacked):
    out = attacked["world"]["OUT"]
    result = result_of(out, "long-type")
    assert "A" * 200 not in json.dumps(result)  # the student's source says "A" * 100_000, not the name
    verdict = next(v for v in result["exercises"] if v["exercise"] == "ex90-1")
    named = [verdict.get("note", "")] + [f["detail"] for f in result["flags"] if f["flag"] == "not-plain-data"]
    assert all(len(text) < 200 for text in named), named
    page = (out / "feedback" / "long-type" / f"{ASSIGNMENT}.html").read_text()
    assert "<script>" not in page and "A" * 200 not in page and len(page) < 50_000


def test_link_timestamp_is_not_followed(attacked):
    result = result_of(attacked["world"]["OUT"], "link-timestamp")
    assert "SECRET-ANSWER-KEYS" not in json.dumps(result)


def test_every_result_records_the_caps_in_force(attacked):
    caps = result_of(attacked["world"]["OUT"], "alice")["sandbox"]["caps"]
    assert caps["memory_mb"]["value"] == MEMORY_MB and caps["output_mb"]["value"] == OUTPUT_MB
    assert caps["network"] is False and caps["pid_namespace"] is True
    for name in ("memory_mb", "processes", "address_space_mb", "file_mb"):
        assert caps[name]["enforced_by"] or caps[name]["why_not"], name


# --------------------------------------------------------------------------------------------
# Without the sandbox, the same reading attacks succeed: the tests above can fail
# --------------------------------------------------------------------------------------------


def test_without_the_sandbox_the_reading_attacks_succeed_and_it_says_so(attacked, tmp_path):
    world = dict(attacked["world"])
    world["SUBMITTED"], world["OUT"] = tmp_path / "submitted", tmp_path / "out"
    shutil.copytree(attacked["world"]["OUT"] / "expected", world["OUT"] / "expected")
    shutil.copytree(attacked["world"]["OUT"] / "results" / "alice", world["OUT"] / "results" / "alice")
    honest(world["SUBMITTED"], "alice")
    master = load_master()
    for student, code in (("read-master", READ_MASTER), ("read-expected", READ_EXPECTED),
                          ("read-classmates", READ_CLASSMATES)):
        write_nb(world["SUBMITTED"] / student / ASSIGNMENT,
                 answered(master, ex90_1_answer=fill(code, tokens(attacked["world"]) | {
                     "OUT": world["OUT"], "SUBMITTED": world["SUBMITTED"]})))
    done = grade(world, "--unsandboxed")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "--unsandboxed" in done.stderr
    for student in ("read-master", "read-expected", "read-classmates"):
        result = result_of(world["OUT"], student)
        assert scores_of(result)["ex90-1"] == 1, student  # the attack worked
        assert result["unsandboxed"] and "unsandboxed" in {f["flag"] for f in result["flags"]}
    rows = {r["student"]: r for r in read_csv(world["OUT"] / "grades.csv")}
    assert "unsandboxed" in rows["read-master"]["flags"]


def test_without_bwrap_grading_is_refused_with_the_reason(tmp_path):
    from triangles.grading.sandbox import Host, Limits, SandboxUnavailable, choose

    with pytest.raises(SandboxUnavailable, match="bubblewrap cannot run here: not installed.*--unsandboxed"):
        choose(Limits(), host=Host(bwrap=None, bwrap_problem="not installed"))
    box = choose(Limits(), host=Host(bwrap=None, bwrap_problem="x", container="/usr/bin/podman"), image="kit:1")
    assert box.mode == "podman"
    with pytest.raises(SandboxUnavailable, match="no --container-image"):
        choose(Limits(), host=Host(bwrap=None, bwrap_problem="x", container="/usr/bin/podman"))
    env = dict(os.environ, PATH=str(tmp_path))  # no bwrap, no podman, no docker on this PATH
    (tmp_path / "sub" / "zoe" / ASSIGNMENT).mkdir(parents=True)
    write_nb(tmp_path / "sub" / "zoe" / ASSIGNMENT, answered(load_master()))
    done = subprocess.run([PYTHON, "-m", "triangles.grading", "grade", str(tmp_path / "sub"), "--out",
                           str(tmp_path / "out"), "--course", str(COURSE)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2
    assert "refusing to run students' code outside a sandbox" in done.stderr and "bubblewrap" in done.stderr
    assert not (tmp_path / "out" / "results").exists()


def test_the_sandbox_command_shows_only_what_a_kernel_needs(tmp_path):
    """bwrap's arguments: namespaces and nobody first; /proc, /dev, /tmp before the binds (a later
    --tmpfs /tmp would hide a scratch folder under /tmp); read-only binds of the interpreter, venv,
    package, data and seeds only; the scratch folder last; a scrubbed environment."""
    from triangles.grading.sandbox import bwrap_command, kernel_env, readable_paths

    cmd = bwrap_command("/usr/bin/bwrap", tmp_path, tmp_path / "work")
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in cmd, flag
    assert cmd[cmd.index("--uid") + 1] == "65534" and cmd[cmd.index("--cap-drop") + 1] == "ALL"
    mounts = [i for i, arg in enumerate(cmd) if arg in ("--tmpfs", "--ro-bind", "--bind", "--symlink")]
    assert cmd[mounts[0]] == "--tmpfs" and cmd[mounts[-1]] == "--bind" and cmd.count("--bind") == 1
    assert cmd[mounts[-1] + 1] == str(tmp_path)
    bound = {cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--ro-bind"}
    assert {str(p) for p in readable_paths()} <= bound
    assert not any(p == str(REPO) or p.startswith(str(REPO / "course")) or p == str(Path.home()) for p in bound)
    assert not any(p.startswith("/etc") and p not in {f"/etc/{n}" for n in (
        "ld.so.cache", "localtime", "fonts", "passwd", "group", "nsswitch.conf", "ssl", "mime.types", "matplotlibrc")}
        for p in bound)
    assert set(kernel_env(tmp_path)) >= {"HOME", "PATH"} and not any(
        k in kernel_env(tmp_path) for k in ("USER", "SSH_AUTH_SOCK", "JUPYTER_TOKEN"))
