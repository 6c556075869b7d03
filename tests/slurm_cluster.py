"""A one-node Slurm cluster on this machine, for ``test_slurm.py``.

Debian's ``slurm-wlm`` and ``munge`` are installed when missing
(``system_packages``).  Everything runs from one scratch folder and on
loopback, and nothing of the machine's own configuration is used or changed:

* ``munged`` with a key made for this cluster and its own socket (``--force``:
  as root it would otherwise refuse a key and socket outside /etc and /run);
* ``slurmctld`` and ``slurmd`` in the foreground, on free ports, with a
  scratch ``slurm.conf``; every Slurm command is given it through
  ``SLURM_CONF``.

What works in a container where everything runs as root and there is no
systemd or cgroup delegation (found on the development machine, Debian 12,
Slurm 22.05): ``SlurmUser=root`` and ``SlurmdUser=root``;
``ProctrackType=proctrack/linuxproc`` (follows a job's processes by parent
process, no cgroups); ``TaskPlugin=task/none``; no accounting
(``accounting_storage/none``, ``jobacct_gather/none``), so finished jobs are
read with ``scontrol`` (kept for ``MinJobAge`` seconds) rather than
``sacct``; ``SlurmdParameters=config_overrides`` so the node may be
described with fewer sockets than the hardware reports; a short
``KillWait`` so ``scancel`` escalates to SIGKILL within seconds.  The
"cannot load PMIx library" errors in the daemons' logs are harmless: no MPI
is used.

``stop()`` cancels every job, waits for them to end, stops the daemons (by
the process ids started here) and removes the folder, even after a failure.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from system_packages import free_port, require, skip_or_fail

NODE = "gcnode"
PARTITION = "grading"


def require_slurm():
    """Install Debian's slurm-wlm and munge when missing; skip (fail in CI) if impossible."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        skip_or_fail("a Slurm node (slurmd) that runs jobs must run as root")
    require("slurm")


CONFIG = """\
ClusterName=gradingtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=3600
SlurmdParameters=config_overrides
NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName={partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    """slurmctld + slurmd (+ munged) on loopback, configured in a scratch folder."""

    def __init__(self, cpus=2, memory_mb=8000):
        self.root = Path(tempfile.mkdtemp(prefix="gc-slurm-"))
        self.cpus, self.memory_mb = cpus, memory_mb
        self.daemons = []
        self.env = dict(os.environ, SLURM_CONF=str(self.root / "slurm.conf"))

    # -------------------------------------------------------------- start, stop

    def start(self):
        for folder in ("munge", "state", "spool", "log", "jobs"):
            (self.root / folder).mkdir()
        self._start_munge()
        host = socket.gethostname().split(".")[0]
        (self.root / "slurm.conf").write_text(CONFIG.format(
            host=host, ctld_port=free_port(), slurmd_port=free_port(), root=self.root,
            munge_socket=self.munge_socket, node=NODE, partition=PARTITION, cpus=self.cpus,
            memory=self.memory_mb))
        self._daemon("slurmctld", ["slurmctld", "-D", "-f", self.root / "slurm.conf"])
        self._daemon("slurmd", ["slurmd", "-D", "-N", NODE, "-f", self.root / "slurm.conf"])
        self._wait_for(lambda: self.command("sinfo", "-h", "-n", NODE, "-o", "%T", check=False)
                       .stdout.strip() == "idle", 90, "the node to come up idle")
        return self

    def _start_munge(self):
        folder = self.root / "munge"
        folder.chmod(0o711)  # munged wants the socket's folder reachable by everyone
        self.munge_socket = folder / "munge.socket"
        subprocess.run(["mungekey", "--create", f"--keyfile={folder / 'munge.key'}"], check=True,
                       capture_output=True, timeout=60)
        self._daemon("munged", [
            "munged", "--foreground", "--force", f"--key-file={folder / 'munge.key'}",
            f"--socket={self.munge_socket}", f"--pid-file={folder / 'munged.pid'}",
            f"--seed-file={folder / 'munged.seed'}", f"--log-file={folder / 'munged.log'}"])
        self._wait_for(lambda: subprocess.run(["munge", "-n", "-S", self.munge_socket],
                                              capture_output=True).returncode == 0,
                       30, "munged to answer on its socket")

    def _daemon(self, name, command):
        log = open(self.root / "log" / f"{name}.out", "w")
        self.daemons.append((name, subprocess.Popen([str(part) for part in command], env=self.env,
                                                    stdout=log, stderr=subprocess.STDOUT)))
        log.close()

    def _wait_for(self, condition, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, process in self.daemons:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} while waiting for "
                                       f"{what}:\n{self.daemon_logs()}")
            if condition():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {seconds} s waiting for {what}:\n{self.daemon_logs()}")

    def daemon_logs(self, lines=15):
        """The last lines of each daemon's log, for a failure message."""
        parts = []
        for path in sorted((self.root / "log").glob("*")) + sorted((self.root / "munge").glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self):
        """Cancel every job, stop the daemons started here, remove the folder."""
        try:
            if any(name == "slurmctld" and process.poll() is None for name, process in self.daemons):
                self.command("scancel", "--full", f"--partition={PARTITION}", check=False)
                deadline = time.monotonic() + 60
                while self.queue() and time.monotonic() < deadline:
                    time.sleep(1)
        finally:
            for _, process in reversed(self.daemons):  # slurmd, slurmctld, then munged
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=30)
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # -------------------------------------------------------------- jobs

    def command(self, *arguments, check=True, timeout=60):
        process = subprocess.run([str(part) for part in arguments], env=self.env, capture_output=True,
                                 text=True, timeout=timeout)
        if check and process.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, arguments))} failed ({process.returncode}):\n"
                               f"{process.stdout}{process.stderr}\n{self.daemon_logs()}")
        return process

    def sbatch(self, script, *options, env=None):
        """Submit ``script`` (``--parsable``); returns the job id."""
        process = subprocess.run(["sbatch", "--parsable", *map(str, options), str(script)],
                                 env={**self.env, **(env or {})}, capture_output=True, text=True,
                                 timeout=60)
        if process.returncode != 0:
            raise RuntimeError(f"sbatch failed:\n{process.stderr}\n{self.daemon_logs()}")
        return process.stdout.strip().split(";")[0]

    def queue(self, job=None):
        """Ids (``JOB_TASK``) of the jobs still pending or running."""
        arguments = ["squeue", "-h", "-o", "%i"] + (["-j", job] if job else [])
        process = self.command(*arguments, check=False)
        return process.stdout.split()

    def wait(self, job, seconds):
        deadline = time.monotonic() + seconds
        while self.queue(job):
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job} still queued or running after {seconds} s: "
                                     f"{self.queue(job)}\n{self.daemon_logs()}")
            time.sleep(1)

    def states(self, job):
        """``{array task id: (state, exit code)}`` of every task of ``job``."""
        text = self.command("scontrol", "show", "job", "-o", job).stdout
        states = {}
        for line in text.splitlines():
            task = re.search(r"\bArrayTaskId=(\d+)", line)
            state = re.search(r"\bJobState=(\S+)", line)
            code = re.search(r"\bExitCode=(\S+)", line)
            if task and state:
                states[int(task.group(1))] = (state.group(1), code.group(1) if code else "?")
        return states
