# The Littlest JupyterHub: settings tljh-config does not cover. Copy this file to
# /opt/tljh/config/jupyterhub_config.d/triangles.py and run `sudo tljh-config reload`.
# (TLJH loads every .py file in that folder after its own settings; see its "escape hatch" docs.)
# ruff: noqa: F821  (``c`` is provided by JupyterHub)

import pwd

FOLDER = "great-power-triangles"  # where the nbgitpuller link puts the course in each home


def _pulled_course(spawner):
    """The student's pulled copy: kernels import this package, so data and progress are their own."""
    try:
        home = pwd.getpwnam(f"jupyter-{spawner.user.name}").pw_dir  # TLJH's system user per hub user
    except KeyError:
        home = f"/home/jupyter-{spawner.user.name}"
    return f"{home}/{FOLDER}"


c.Spawner.environment.update({
    "PYTHONPATH": _pulled_course,
    # The user's ~/.jupyter wins over the environment's student defaults, so an instructor can run
    # `python -m triangles.course instructor-tools on` for themselves.
    "JUPYTER_PREFER_ENV_PATH": "0",
})
# Kernels are forked from a per-server process that has already imported IPython, pandas, numpy and
# ipywidgets (triangles.prefork; see course/README.md section 4.4). Delete this line for the stock launcher.
# (append, not +=: the value may be traitlets' LazyConfigValue, which has no +=.)
c.Spawner.args.append("--KernelProvisionerFactory.default_provisioner_name=triangles-prefork")
# A class arrives at once; on a small TLJH server, start servers a few at a time.
c.JupyterHub.concurrent_spawn_limit = 10
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120
