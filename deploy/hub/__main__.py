"""``make hub`` / ``make hub-clean``: the course on a local JupyterHub, on 127.0.0.1.

    python -m deploy.hub up [--root DIR] [--port N]     # prepare, start, print URL and accounts, wait
    python -m deploy.hub clean [--root DIR]             # remove accounts, homes, exchange, runtime
"""

import argparse
import signal
import sys
import time
from pathlib import Path

from deploy.hub import server
from deploy.hub.install import SetupError
from deploy.hub.layout import HubLayout

ROLES = {True: "instructor: Nbgrader > Formgrader (opens in its own browser tab, see docs/jupyterhub.md)",
         False: "student: Nbgrader > Assignment List"}


def layout_from(arguments):
    return HubLayout(root=Path(arguments.root).resolve(), port=arguments.port, prefix=arguments.prefix)


def banner(layout, warnings):
    width = max(len(user) for user in layout.users)
    lines = [
        "",
        f"The gradient-checking course is up: {layout.url}",
        "",
        "Accounts (real Unix users; demo passwords, new at every start, for 127.0.0.1 only):",
        *(f"  {user:<{width}}  {layout.passwords[user]}   {ROLES[user == layout.instructor]}"
          for user in layout.users),
        "",
        f"Course directory: {layout.course}  (the instructor's, mode 700)",
        f"Exchange:         {layout.exchange}",
        f"Grade in the instructor's terminal: cd {layout.course.name} && python -m grading.parallel "
        "gradient_checking --feedback",
        f"Hub log:          {layout.runtime / 'jupyterhub.log'}",
        "",
        *warnings,
        "Ctrl-C stops the hub and every server it started; `make hub-clean` removes the accounts and "
        f"{layout.root}.",
    ]
    print("\n".join(lines), flush=True)


def up(layout):
    started = time.monotonic()
    warnings = server.prepare(layout)
    hub = server.CourseHub(layout)
    # SIGTERM (e.g. from a service manager) stops the hub as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        hub.start()
        banner(layout, warnings)
        print(f"(up in {time.monotonic() - started:.1f} s)", flush=True)
        while hub.process.poll() is None:
            time.sleep(1)
        print(f"JupyterHub exited with {hub.process.returncode}; see {hub.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the hub and every server it started ...", flush=True)
        return 0
    finally:
        hub.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m deploy.hub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "clean"])
    parser.add_argument("--root", default=str(HubLayout.root),
                        help="folder for everything the hub makes (default: %(default)s)")
    parser.add_argument("--port", type=int, default=HubLayout.port,
                        help="port on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--prefix", default=HubLayout.prefix,
                        help="user names start with this (default: %(default)s)")
    arguments = parser.parse_args(argv)
    layout = layout_from(arguments)
    try:
        if arguments.action == "clean":
            server.clean(layout)
            return 0
        return up(layout)
    except SetupError as error:
        print(f"make hub: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
