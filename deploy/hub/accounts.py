"""The people of the course hub: Unix accounts, their homes, the course and the exchange.

What is created (as root), and who may read it:

* one Unix account per person (``useradd``, home under ``<root>/home``, mode 700),
  marked with ``layout.marker`` in its comment field;
* the course directory ``<instructor home>/gradient-checking`` (a copy of this
  repository's course: ``nbgrader_config.py``, ``grading/``, ``source/``), owned
  by the instructor, mode 700, with the student version generated in it and the
  students in its gradebook by name (as a course imports its roster);
* the exchange: a root-owned folder with mode 1777, as nbgrader asks (its
  ``release_assignment`` refuses any other mode), and the sticky bit so nobody
  can rename what another user made in it.  The course's folder in it is made
  here, by the instructor, so no student can create it first;
* nbgrader's settings: for everyone ``<venv>/etc/jupyter/nbgrader_config.py``
  (course id, exchange); for the instructor ``~/.jupyter/nbgrader_config.py``
  (the course directory); for each student, nbgrader's documented per-user
  switches that leave only the *Assignments* list (no formgrader, no course
  list, no *Create Assignment*).  Those switches only tidy the student's
  screen: what keeps a student out is the Unix permissions above.
"""

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time

from course_constants import ASSIGNMENT, COURSE_ID
from deploy.hub.install import SetupError, run
from scaffold.course import make_course

STUDENT_SERVER_EXTENSIONS_OFF = ("nbgrader.server_extensions.formgrader",
                                 "nbgrader.server_extensions.course_list")
STUDENT_LAB_EXTENSIONS_OFF = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                              "@jupyter/nbgrader:create-assignment")
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


# ---------------------------------------------------------------- running as someone

def user_environment(layout, user):
    """What a command run as ``user`` sees: their home, the hub's Python first on PATH."""
    return {
        "HOME": str(layout.home(user)), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
        "PATH": os.pathsep.join([str(layout.venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    }


def as_user(layout, user, command, what, cwd=None, timeout=600, check=True):
    """Run ``command`` as the Unix ``user`` (its uid, gid and groups only), with umask 077."""
    account = pwd.getpwnam(user)
    kwargs = dict(user=account.pw_uid, group=account.pw_gid, extra_groups=[], umask=0o077,
                  cwd=cwd or layout.home(user), env=user_environment(layout, user), timeout=timeout)
    if check:
        return run(command, what, **kwargs)
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


# ---------------------------------------------------------------- accounts

def account(user):
    try:
        return pwd.getpwnam(user)
    except KeyError:
        return None


def ours(layout, user):
    found = account(user)
    return found is not None and found.pw_gecos == layout.marker


def create_accounts(layout):
    """One Unix account per person, with a fresh demo password each."""
    layout.homes.mkdir(parents=True, exist_ok=True)
    layout.homes.chmod(0o755)
    for user in layout.users:
        found = account(user)
        if found is not None and not ours(layout, user):
            raise SetupError(f"a Unix account {user!r} exists and was not made by this hub "
                             f"({found.pw_gecos!r}): choose another --prefix")
        if found is None:
            run(["useradd", "--create-home", "--home-dir", layout.home(user), "--shell", "/bin/bash",
                 "--user-group", "--comment", layout.marker, user], f"creating the account {user}")
        layout.home(user).chmod(0o700)
        layout.passwords[user] = secrets.token_urlsafe(9)


def remove_accounts(layout):
    """Stop every process of the hub's accounts, then delete the accounts."""
    for user in layout.users:
        if ours(layout, user):
            kill_processes_of(account(user).pw_uid)
            subprocess.run(["userdel", user], capture_output=True, text=True)


def kill_processes_of(uid, grace=5.0):
    """SIGTERM, then SIGKILL, every process whose real uid is ``uid`` (listed by pid from /proc)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            pids = processes_of(uid)
            time.sleep(0.1)
        if not pids:
            return


def processes_of(uid):
    """Live processes of ``uid`` (zombies aside: they are dead, only not yet reaped)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
                with open(f"/proc/{entry}/stat") as handle:
                    state = handle.read().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if state != "Z":
                found.append(int(entry))
    return found


# ---------------------------------------------------------------- the course and the exchange

def create_exchange(layout):
    layout.exchange.mkdir(parents=True, exist_ok=True)
    layout.exchange.chmod(0o1777)
    course = layout.exchange / COURSE_ID
    course.mkdir(exist_ok=True)
    instructor = account(layout.instructor)
    os.chown(course, instructor.pw_uid, instructor.pw_gid)
    course.chmod(0o755)


def create_course(layout):
    """The instructor's course directory, with the student version generated by the instructor."""
    course = layout.course
    if not (course / "nbgrader_config.py").exists():
        make_course(course)
    instructor = account(layout.instructor)
    for folder, _, files in os.walk(course):
        os.chown(folder, instructor.pw_uid, instructor.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), instructor.pw_uid, instructor.pw_gid, follow_symlinks=False)
    course.chmod(0o700)
    as_user(layout, layout.instructor,
            [layout.python, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
            "generating the student version (as the instructor)", cwd=course)
    add_roster(layout)


def add_roster(layout):
    """The students in the gradebook with their names, as a course imports its roster
    (`nbgrader db student import`); without it the formgrader lists each student as "None, None"."""
    for number, student in enumerate(layout.student_names, start=1):
        as_user(layout, layout.instructor,
                [layout.python, "-m", "nbgrader", "db", "student", "add", student,
                 "--first-name", "Demo", "--last-name", f"Student {number}"],
                f"adding {student} to the gradebook (as the instructor)", cwd=layout.course)


def write_jupyter_settings(layout):
    """nbgrader's settings for everyone, for the instructor, and the students' switches."""
    system = layout.venv / "etc" / "jupyter"
    system.mkdir(parents=True, exist_ok=True)
    (system / "nbgrader_config.py").write_text(
        "# Written by deploy/hub (make hub): the course and its exchange, for every user of this hub.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(layout.exchange)!r}\n")
    # The hub is offline: no news pop-up, no update check, for everyone.
    overrides = layout.venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(LAB_OVERRIDES, indent=2))

    write_as(layout, layout.instructor, ".jupyter/nbgrader_config.py",
             "# Written by deploy/hub (make hub): where this instructor's course lives.\n"
             "c = get_config()  # noqa: F821\n"
             f"c.CourseDirectory.root = {str(layout.course)!r}\n")
    for student in layout.student_names:
        # What `jupyter server extension disable --user` and `jupyter labextension disable
        # --level=user` write, written as the student.  (The first command cannot switch off
        # an extension the environment switched on: it says "could not be found" and exits 0.)
        write_as(layout, student, ".jupyter/jupyter_server_config.d/nbgrader-student.json", json.dumps(
            {"ServerApp": {"jpserver_extensions": dict.fromkeys(STUDENT_SERVER_EXTENSIONS_OFF, False)}},
            indent=2))
        write_as(layout, student, ".jupyter/labconfig/page_config.json", json.dumps(
            {"disabledExtensions": dict.fromkeys(STUDENT_LAB_EXTENSIONS_OFF, True)}, indent=2))


def write_as(layout, user, relative, text):
    """Write ``text`` to ``relative`` in ``user``'s home, as that user (folders made as needed)."""
    path = layout.home(user) / relative
    as_user(layout, user, ["mkdir", "-p", path.parent], f"making {path.parent}")
    as_user(layout, user, [layout.python, "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
                           path, text], f"writing {path}")


def sandbox_problem(layout):
    """Why the grading sandbox cannot start as the instructor, or None when it can."""
    probe = ("from grading import sandbox; ok, why = sandbox.available(); "
             "print('ok' if ok else why)")
    done = as_user(layout, layout.instructor, [layout.python, "-c", probe],
                   "probing the grading sandbox as the instructor", cwd=layout.course, check=False)
    answer = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode == 0 and answer == "ok":
        return None
    return answer or done.stderr.strip()[-500:]


def remove_tree(path):
    if path.exists():
        shutil.rmtree(path)
