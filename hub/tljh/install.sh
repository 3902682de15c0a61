#!/usr/bin/env bash
# The Littlest JupyterHub for a Great-Power Triangles class: run as an admin on the TLJH server,
# from a clone of the STUDENT repository (python -m triangles.course student-repo).
#
#   git clone https://github.com/OWNER/great-power-triangles-student /opt/great-power-triangles
#   sudo bash hub/tljh/install.sh /opt/great-power-triangles     # from a clone of the kit
#
# Keys checked against the-littlest-jupyterhub (tljh/configurer.py defaults, main, 2026-04).
set -euo pipefail
course=${1:?usage: install.sh PATH-TO-STUDENT-REPOSITORY-CLONE}
here=$(cd "$(dirname "$0")" && pwd)

# The kit's pinned environment in TLJH's user environment (/opt/tljh/user, Python 3.12):
# JupyterLab, ipywidgets, the kit's JupyterLab settings (overrides.d) and the students' defaults
# (no nbgrader instructor tools, no language server, no terminals), nbgitpuller, Voila.
# jupyterhub itself is left as TLJH installed it: the user side must match the hub's major version.
cd "$course"
grep -v '^jupyterhub==' requirements.txt > /tmp/requirements-tljh.txt
/opt/tljh/user/bin/pip install --no-cache-dir -r /tmp/requirements-tljh.txt

# JupyterLab for everyone; per-user limits sized from benchmarks/RESULTS.md (hub section).
tljh-config set user_environment.default_app jupyterlab
tljh-config set limits.memory 1G
tljh-config set limits.cpu 2
# Stop servers idle for an hour (TLJH runs jupyterhub-idle-culler as a hub service).
tljh-config set services.cull.enabled true
tljh-config set services.cull.timeout 3600
tljh-config set services.cull.every 300

install -m 0644 "$here/jupyterhub_config.d/triangles.py" /opt/tljh/config/jupyterhub_config.d/triangles.py
tljh-config reload
