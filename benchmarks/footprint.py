"""5. Install footprint: a fresh venv from requirements.txt against one with the client's five packages.

The client asked for jupyterlab, pandas, matplotlib, ipywidgets and nbval; everything else in
requirements.txt is the kit's choice and must say what it buys. Both venvs are made with this
Python's ``venv`` and pip (same pip, same base), at the versions pinned in requirements.txt, and
measured on disk (allocated blocks, hard links counted once). Each extra requirement is charged with
the distributions only it brings in; those that two or more extras share are charged to "shared".

Making the two venvs downloads and installs some 150 packages: minutes. They are cached under
benchmarks/runs/venvs/<key>/ (git-ignored), the key a hash of requirements.txt, the two
pyproject.toml files it installs and the Python version, so a changed requirement rebuilds them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .common import REPO, RUNS, Goal, Section, log, mib, ratio, x

REQUIREMENTS = REPO / "requirements.txt"
CLIENT = ("jupyterlab", "pandas", "matplotlib", "ipywidgets", "nbval")

# What each requirement beyond the client's five buys (shown in the table; unknown ones say so).
BUYS = {
    "nbgrader": "stock grading compatibility: instructors who already use nbgrader; the release is tested against generate_assignment",
    "playwright": "the browser tests (drive JupyterLab in Debian's Chromium)",
    "hypothesis": "the property tests",
    "psutil": "the memory benchmark (kernel RSS)",
    "tqdm": "the grader's progress bar",
    "pytest": "the test runner",
    "ipykernel": "the kernel the notebooks run in (pinned: the subshell behaviour the lab settings rely on)",
    "numpy": "arrays under pandas and matplotlib (pinned for reproducible answers)",
    "nbclient": "running notebooks: grading, release, progress, benchmarks",
    "nbformat": "reading and writing notebooks: release, grading",
    "nbconvert": "HTML export; nbgrader's converters",
    "jupyterlab-widgets": "the widgets' front end in JupyterLab (moves with ipywidgets)",
    "widgetsnbextension": "the widgets' front end in the classic notebook (moves with ipywidgets)",
    "triangles": "the kit itself (editable: a link, the code stays in the repository)",
    "triangles-lab-settings": "JupyterLab settings that keep widget messages on the kernel's main shell",
}

# Run inside each venv: every distribution, its size on disk and the names it requires.
_INVENTORY = r"""
import json, os, sys
from importlib import metadata
try:
    from pip._vendor.packaging.requirements import Requirement
except ImportError:
    from packaging.requirements import Requirement
out = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    key = name.lower().replace("_", "-").replace(".", "-")
    size = 0
    for f in dist.files or []:
        try:
            size += os.stat(f.locate()).st_size
        except OSError:
            pass
    requires = []
    for text in dist.requires or []:
        r = Requirement(text)
        if r.marker is None or r.marker.evaluate({"extra": ""}):
            requires.append(r.name.lower().replace("_", "-").replace(".", "-"))
    out[key] = {"name": name, "version": dist.version, "size": size, "requires": requires}
json.dump(out, sys.stdout)
"""


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    """name -> the requirement line, for the lines of requirements.txt that name a package."""
    found = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(==|>=|~=)", line)
        if m:
            found[norm(m.group(1))] = line
    return found


def cache_key() -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, REPO / "pyproject.toml", REPO / "lab-settings" / "pyproject.toml"):
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def _make_venv(target: Path, install: list[str]) -> None:
    """Build in a sibling folder, then rename: a killed build never leaves a half venv in the cache."""
    if (target / "bin" / "python").exists():
        return
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    log(f"footprint: creating {target.relative_to(REPO)} (minutes; cached afterwards)")
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    pip = [str(building / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(pip + install, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:  # pip's last words say which package failed
        errors = [line for line in done.stderr.splitlines() if not line.startswith("WARNING: Location")]
        raise RuntimeError(f"pip install {' '.join(install)} failed: {' | '.join(errors[-3:])}")
    building.rename(target)


def venvs() -> tuple[Path, Path]:
    root = RUNS / "venvs" / cache_key()
    full, client = root / "full", root / "client"
    if not root.exists() and root.parent.exists():  # requirements changed: the old pair is stale
        for stale in root.parent.iterdir():
            log(f"footprint: removing stale venvs {stale.relative_to(REPO)}")
            shutil.rmtree(stale, ignore_errors=True)
    client_lines = [line for name, line in pins().items() if name in CLIENT]
    _make_venv(client, client_lines)
    _make_venv(full, ["-r", str(REQUIREMENTS)])
    return full, client


def disk_usage(path: Path) -> tuple[int, int]:
    """(bytes allocated, files) under ``path``; symlinks not followed, hard links counted once."""
    seen, total, files = set(), 0, 0
    for folder, dirs, names in os.walk(path):
        for name in names + dirs:
            st = os.lstat(os.path.join(folder, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
            files += name in names
    return total, files


def inventory(venv: Path) -> dict:
    # -I and cwd=venv: the repository's own triangles.egg-info must not be found on sys.path[0]
    done = subprocess.run([str(venv / "bin" / "python"), "-I", "-c", _INVENTORY], cwd=venv,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def closure(graph: dict, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        todo.extend(graph[name]["requires"])
    return seen


def attribute(full: dict, client: dict, extras: list[str]) -> tuple[dict[str, set[str]], set[str]]:
    """Each extra's own new distributions, and those shared by two or more extras."""
    new = set(full) - set(client)
    reach = {e: closure(full, e) & new for e in extras}
    own = {}
    for e in extras:
        others = set().union(*(reach[o] for o in extras if o != e)) if len(extras) > 1 else set()
        own[e] = reach[e] - others
    shared = new - set().union(*own.values()) if own else new
    return own, shared


def measure() -> dict:
    full, client = venvs()
    full_size, full_files = disk_usage(full)
    client_size, client_files = disk_usage(client)
    inv_full, inv_client = inventory(full), inventory(client)
    extras = [n for n in pins() if n not in CLIENT]
    for local in ("triangles", "triangles-lab-settings"):
        if local in inv_full:
            extras.append(local)
    own, shared = attribute(inv_full, inv_client, extras)
    return {"key": full.parent.name, "full": [full_size, full_files], "client": [client_size, client_files],
            "full_dists": len(inv_full), "client_dists": len(inv_client), "extras": extras,
            "own": {e: sorted(v) for e, v in own.items()}, "shared": sorted(shared),
            "sizes": {k: v["size"] for k, v in inv_full.items()},
            "versions": {k: v["version"] for k, v in inv_full.items()},
            "differ": {k: [inv_client[k]["version"], inv_full[k]["version"]] for k in inv_client
                       if k in inv_full and inv_client[k]["version"] != inv_full[k]["version"]}}


def section(measured: dict | None, skipped: str = "") -> Section:
    sec = Section(
        key="footprint",
        title="5. Install footprint",
        intro=("A fresh venv from `requirements.txt` (everything: course, grading, tests) against a "
               "fresh venv with the client's five packages alone (jupyterlab, pandas, matplotlib, "
               "ipywidgets, nbval at the pinned versions). Size on disk (allocated blocks). **Floor:** "
               "the client's venv. No goal is set; the table below says what each extra buys."),
        columns=["venv", "size on disk", "files", "distributions", "floor (client's five)", "ratio",
                 "goal", "met?"],
        rows=[],
    )
    if measured is None:
        sec.skipped = skipped or "not measured"
        return sec
    if "failed" in measured:
        sec.skipped = measured["failed"]
        return sec
    full, client = measured["full"], measured["client"]
    r = ratio(full[0], client[0])
    sec.rows.append(["requirements.txt (everything)", mib(full[0]), str(full[1]), str(measured["full_dists"]),
                     mib(client[0]), x(r), "none (reported)", "n/a"])
    sec.rows.append(["the client's five", mib(client[0]), str(client[1]), str(measured["client_dists"]),
                     "", "1.00x (floor)", "", ""])
    sec.goals.append(Goal("footprint", "full venv / client's venv", "no goal", x(r), None, key="footprint"))
    sizes, versions = measured["sizes"], measured["versions"]
    rows = []
    for extra in sorted(measured["extras"], key=lambda e: -sum(sizes.get(d, 0) for d in measured["own"][e])):
        dists = measured["own"][extra]
        size = sum(sizes.get(d, 0) for d in dists)
        brings = ", ".join(f"{d} {versions.get(d, '')}".strip() for d in dists if d != extra)
        rows.append([f"{extra} {versions.get(extra, '')}".strip(), BUYS.get(extra, "(not described)"),
                     "0" if not dists else mib(size) if size >= 2**20 else f"{size / 1024:.0f} KiB",
                     brings or ("nothing: already in the client's venv" if not dists else "itself only")])
    shared = measured["shared"]
    if shared:
        size = sum(sizes.get(d, 0) for d in shared)
        rows.append(["(shared by several extras)", "", mib(size), ", ".join(shared)])
    sec.tables.append(("What each requirement beyond the client's five buys", [
        "requirement", "buys", "adds (installed size of what only it brings)", "brings in"], rows))
    sec.notes.append(f"Venvs cached under `benchmarks/runs/venvs/{measured['key']}/`; installed sizes in "
                     "the second table are the files each distribution's RECORD lists (so they add up to "
                     "less than the size on disk, which also counts pip, caches and block rounding). "
                     "Chromium for the browser tests comes from Debian, outside the venv.")
    if measured.get("differ"):
        sec.notes.append("Resolved differently in the two venvs (client's / full): " + ", ".join(
            f"{k} {a} / {b}" for k, (a, b) in sorted(measured["differ"].items())) + ".")
    else:
        sec.notes.append("Every distribution the two venvs share has the same version in both.")
    sec.raw = {k: v for k, v in measured.items() if k not in ("sizes", "versions")}
    return sec
