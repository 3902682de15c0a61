# A JupyterHub on one machine, on 127.0.0.1 only, for the kit's hub test and load test
# (tests/test_hub.py, benchmarks/hub.py), and for an instructor who wants to try a class locally:
#
#     TRIANGLES_HUB_DIR=/tmp/gpt-hub .venv/bin/jupyterhub -f hub/local/jupyterhub_config.py
#
# Every student runs as the hub's own user (SimpleLocalProcessSpawner) in this virtual environment,
# with a home folder under $TRIANGLES_HUB_DIR/homes/. Any name logs in (dummy authenticator): never
# expose this hub beyond 127.0.0.1. For a real class use hub/tljh/ or hub/z2jh/.
#
# Environment (all optional except TRIANGLES_HUB_DIR):
#   TRIANGLES_HUB_DIR            state: database, cookie secret, proxy token, homes
#   TRIANGLES_HUB_PORT           the public port (default 8000); also the hub's API (+1) and the proxy's API (+2)
#   TRIANGLES_HUB_SERVICE_TOKEN  a token for the "classroom" service (create users, start servers, pull)
#   TRIANGLES_HUB_SPAWN_LIMIT    JupyterHub.concurrent_spawn_limit (default 100: a class arrives at once)
#   TRIANGLES_HUB_USER_NICE      niceness of every user's server and kernels (default 5; 0 = none), so that
#                                the hub and the proxy, which every request and cell passes through,
#                                keep answering when a class saturates the CPU
#   TRIANGLES_HUB_PREFORK        1 (default): kernels are forked from a per-server process that has
#                                already imported IPython, pandas, numpy and ipywidgets
#                                (triangles.prefork), started by the server's first kernel;
#                                server: started with the server; 0: the stock kernel launcher
# ruff: noqa: F821  (``c`` is provided by JupyterHub)

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from triangles.student_repo import STUDENT_FOLDER

state = Path(os.environ["TRIANGLES_HUB_DIR"]).resolve()
homes = state / "homes"
homes.mkdir(parents=True, exist_ok=True)
port = int(os.environ.get("TRIANGLES_HUB_PORT", "8000"))
venv_bin = Path(sys.executable).parent

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.concurrent_spawn_limit = int(os.environ.get("TRIANGLES_HUB_SPAWN_LIMIT", "100"))

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True  # JupyterHub 5+ admits nobody without it

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
user_nice = int(os.environ.get("TRIANGLES_HUB_USER_NICE", "5"))
c.Spawner.cmd = (["nice", "-n", str(user_nice)] if user_nice else []) + [str(venv_bin / "jupyterhub-singleuser")]
# Kernels talk to their server over Unix sockets, not TCP: with local processes every student shares
# one network namespace, and thirty servers picking "free" random ports at the same moment collide
# (ZMQError: Address already in use), which killed and restarted kernels in the load test. The
# sockets live in a short per-user runtime folder (a socket path must stay under ~107 bytes).
c.Spawner.args = ["--KernelManager.transport=ipc"]
prefork = os.environ.get("TRIANGLES_HUB_PREFORK", "1")
if prefork != "0":
    # A class opening its notebooks at once otherwise pays for importing IPython, pandas and
    # ipywidgets once per kernel.
    c.Spawner.args.append("--KernelProvisionerFactory.default_provisioner_name=triangles-prefork")
if prefork == "server":
    # The extension starts the zygote with the server, so that the first kernel is forked too. With
    # a whole class arriving at once this made servers slower to become ready (its imports compete
    # with the servers' own start-up), so by default the first kernel starts the zygote.
    c.Spawner.args += ["--ServerApp.jpserver_extensions", "triangles.prefork=True"]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")  # CI runs as root; without it the server exits
runtime_root = Path(tempfile.gettempdir()) / f"gpt-rt-{hashlib.sha1(str(state).encode()).hexdigest()[:10]}"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300  # a whole class arriving at once on two cores
c.Spawner.http_timeout = 300
c.Spawner.environment = {
    # Kernels import the package the student pulled, so that its paths (data, the progress view)
    # point at the student's own copy rather than at the environment's.
    "PYTHONPATH": lambda spawner: str(homes / spawner.user.name / STUDENT_FOLDER),
    # The user's ~/.jupyter wins over the environment's student defaults, so that
    # `python -m triangles.course instructor-tools on` works for one user at a time.
    "JUPYTER_PREFER_ENV_PATH": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_RUNTIME_DIR": lambda spawner: str(runtime_root / spawner.user.name),
}

c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600", "--cull-every=600"],
    },
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]
if os.environ.get("TRIANGLES_HUB_SERVICE_TOKEN"):
    c.JupyterHub.services.append({"name": "classroom", "api_token": os.environ["TRIANGLES_HUB_SERVICE_TOKEN"]})
    c.JupyterHub.load_roles.append(
        {"name": "classroom", "services": ["classroom"],
         "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]})
