"""The classroom subcommands of ``python -m triangles.course``: student-repo, link, instructor-tools.

Their logic lives in triangles.student_repo and triangles.instructor_tools; this module only parses
arguments and prints, so that triangles.course stays about releasing the notebooks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from triangles import instructor_tools, student_repo

COMMANDS = ("student-repo", "link", "instructor-tools")


def add_commands(sub: argparse._SubParsersAction) -> None:
    build = sub.add_parser("student-repo", help="build or update the students' git repository (no masters, "
                                                "no answer keys) and commit the change")
    build.add_argument("dest", type=Path, help="the student repository's folder (created if missing)")
    build.add_argument("-m", "--message", help="the commit message (default: names the kit's commit)")

    link = sub.add_parser("link", help="print the nbgitpuller link that gives students the course")
    link.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    link.add_argument("--repo", required=True,
                      help="the student repository's clone URL, e.g. https://github.com/you/gpt-student")
    link.add_argument("--notebook", default="00", help="the notebook to open, by number (default 00)")
    link.add_argument("--branch", default=student_repo.BRANCH, help="default %(default)s")

    tools = sub.add_parser("instructor-tools", help="show nbgrader's instructor tools, the language server "
                                                    "and terminals in this user's JupyterLab (on) or not (off)")
    tools.add_argument("state", choices=("on", "off", "status"))


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "student-repo":
            commit = student_repo.build_student_repo(args.dest, args.message)
            print(f"committed {commit[:10]} in {args.dest}; publish it with: git -C {args.dest} push"
                  if commit else f"{args.dest} is already up to date")
        elif args.command == "link":
            print(student_repo.pull_link(args.hub, args.repo, args.notebook, args.branch))
        else:
            if args.state != "status":
                for path in instructor_tools.set_instructor_tools(args.state == "on"):
                    print(("wrote " if args.state == "on" else "removed ") + str(path))
                print("restart JupyterLab (on a hub: stop and start your server) for this to take effect")
            for name, on in instructor_tools.effective_state().items():
                print(f"{name}: {'on' if on else 'off'}")
    except (student_repo.StudentRepoError, instructor_tools.SwitchError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
