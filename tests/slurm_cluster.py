"""A real single-node SLURM cluster on this machine, for the tests that run the pipeline on one.

:func:`start` writes a ``slurm.conf`` for this host into a fresh folder and starts the three
daemons of Debian's ``slurm-wlm`` and ``munge`` packages, each of which forks and writes a pid
file there: ``munged`` (as user ``munge``, with its own key and socket), ``slurmctld`` and
``slurmd``. :meth:`Cluster.stop` cancels what is still queued and stops exactly those
daemons, by the pids they wrote, then removes the folder. Nothing outside that folder is
written: the clients (``sbatch``, ``squeue``, ``scancel`` ...) find the cluster through
``SLURM_CONF`` in :attr:`Cluster.env`, the environment for anything that talks to it.

Needs root, and the commands of ``slurm-wlm`` and ``munge`` (``.ci/run`` installs them).

Facts this relies on (SLURM 22.05, no systemd):

- the node is named as ``hostname -s`` says, or slurmd does not find itself in the config;
- ``proctrack/linuxproc`` and ``task/none`` need no cgroup hierarchy;
- memory is a consumable (``CR_Core_Memory``), and a job whose processes use more than its
  ``--mem`` is killed by ``jobacct_gather/linux`` with ``OverMemoryKill``, polled each second;
- the node declares at least four CPUs (``SlurmdParameters=config_overrides`` lets it claim
  more than the machine has), so a sampler job asking for one CPU per chain can be placed on
  a two-core machine, as ``--cores 4`` oversubscribes it locally;
- without ``slurmdbd`` there is no ``sacct``: jobs are followed with ``squeue``, which shows a
  finished job for ``MinJobAge`` seconds;
- Snakemake's SLURM jobs run their rule through ``srun``, with every ``SLURM_*`` variable but
  the job's id removed from its environment (snakemake-executor-plugin-slurm-jobstep 0.6),
  ``SLURM_CONF`` included. Without ``/etc/slurm/slurm.conf`` that ``srun`` finds its config
  where a configless slurmd caches it, ``/run/slurm/conf/slurm.conf``; so while the cluster
  runs, ``/run/slurm/conf`` is a link to its folder (made only when absent, removed by
  :meth:`Cluster.stop`). Nothing in ``/etc`` is touched.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RUN_CONF = Path("/run/slurm/conf")
"""Where SLURM's clients look for slurm.conf after SLURM_CONF and /etc/slurm/slurm.conf."""
COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo")
PARTITION = "mlmpipe"
"""The cluster's one partition; not a default one, so a job must name it, as on clusters
where the user gives the partition."""
NODE_CPUS = 4
MIN_JOB_AGE = 300
"""Seconds squeue keeps showing a finished job: at least three times the executor plugin's
``--slurm-init-seconds-before-status-checks``, or it goes back to sacct."""


class ClusterError(RuntimeError):
    """The cluster could not be started; the message quotes the daemon's log."""


def missing_commands() -> list[str]:
    """Return the commands of slurm-wlm and munge that are not on PATH (or in /usr/sbin)."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return [name for name in COMMANDS if shutil.which(name, path=search) is None]


def _command(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin")
    if found is None:
        raise ClusterError(f"{name}: not found (install slurm-wlm and munge)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    """Return the machine's MemTotal in MB (from /proc/meminfo)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ClusterError("/proc/meminfo has no MemTotal")


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state != "Z"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} was not written)"


@dataclass
class Cluster:
    """A running cluster: its folder, config, partition, daemons' pids and client environment."""

    root: Path
    conf: Path
    node: str
    real_memory_mb: int
    partition: str = PARTITION
    pids: dict[str, int] = field(default_factory=dict)
    made: list[Path] = field(default_factory=list)
    """Paths outside ``root`` this cluster created (removed by :meth:`stop`, last first)."""

    @property
    def env(self) -> dict[str, str]:
        """This process's environment plus ``SLURM_CONF`` pointing at the cluster's config."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str, check: bool = True, timeout: int = 60) -> str:
        """Run a SLURM client command against this cluster and return its stdout."""
        result = subprocess.run(
            [_command(command[0]), *command[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise ClusterError(f"{' '.join(command)}: exit {result.returncode}: {result.stderr}")
        return result.stdout

    def node_state(self) -> str:
        """The node's state as sinfo prints it (``idle``, ``mixed``, ``allocated`` ...)."""
        return self.run("sinfo", "--noheader", "--Format=StateLong", check=False).strip()

    def job_ids(self) -> list[str]:
        """The ids of the jobs squeue shows (pending, running, or finished recently)."""
        out = self.run("squeue", "--noheader", "--states=all", "--format=%i", check=False)
        return out.split()

    def job_state(self, job_id: str) -> str:
        """The state squeue gives a job (``RUNNING``, ``COMPLETED``, ``OUT_OF_MEMORY`` ...)."""
        out = self.run(
            "squeue", "--noheader", "--states=all", f"--jobs={job_id}", "--format=%T", check=False
        )
        return out.strip()

    def log(self, daemon: str) -> str:
        """The end of a daemon's log (``munged``, ``slurmctld`` or ``slurmd``)."""
        return _tail(self.root / "log" / f"{daemon}.log")

    def stop(self) -> None:
        """Cancel the cluster's jobs, stop the daemons this cluster started (by their pids:
        slurmd, slurmctld, then munged) and remove its folder."""
        if self.pids.get("slurmctld") and _alive(self.pids["slurmctld"]):
            ids = [i for i in self.job_ids() if i]
            if ids:
                self.run("scancel", *ids, check=False)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and any(
                    self.job_state(i) in ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING")
                    for i in ids
                ):
                    time.sleep(0.5)
        for daemon in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.pop(daemon, None)
            if pid is not None:
                _terminate(pid)
        for path in reversed(self.made):
            if path.is_symlink():
                path.unlink()
            elif path.is_dir():
                path.rmdir()
        self.made.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _terminate(pid: int, timeout: float = 20) -> None:
    """SIGTERM ``pid``, wait for it to exit, SIGKILL it after ``timeout`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def slurm_conf(
    root: Path, node: str, *, ctld_port: int, slurmd_port: int, real_memory_mb: int
) -> str:
    """The text of the cluster's slurm.conf: everything under ``root``."""
    return f"""\
# A single-node cluster for tests, written by tests/slurm_cluster.py; removed with it.
ClusterName=mlmpipe-{ctld_port}
SlurmctldHost={node}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket.2
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge={MIN_JOB_AGE}
KillWait=5
ReturnToService=2
SlurmdParameters=config_overrides
NodeName={node} CPUs={max(NODE_CPUS, os.cpu_count() or 1)} RealMemory={real_memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=NO MaxTime=INFINITE State=UP
"""


def _start_daemon(cluster: Cluster, name: str, command: list[str], pid_file: Path, **kw) -> None:
    """Run a daemon that forks; record the pid it writes. Raises ClusterError with its log."""
    result = subprocess.run(
        command, env=cluster.env, capture_output=True, text=True, timeout=60, **kw
    )
    deadline = time.monotonic() + 20
    while result.returncode == 0 and time.monotonic() < deadline and not pid_file.is_file():
        time.sleep(0.1)
    pid_text = pid_file.read_text().strip() if pid_file.is_file() else ""
    if result.returncode != 0 or not pid_text:
        raise ClusterError(
            f"{name} did not start (exit {result.returncode}): {result.stderr.strip()}\n"
            f"{cluster.log(name)}"
        )
    cluster.pids[name] = int(pid_text)


def start(parent: str | os.PathLike[str] | None = None, timeout: float = 60) -> Cluster:
    """Start munged, slurmctld and slurmd for this host, in a new folder under ``parent`` (the
    system's temporary folder by default); return the cluster once its node is idle.

    The folder is world-readable, as munged (user ``munge``) must reach its key and socket.
    Raises ClusterError, naming the daemon and quoting its log, when one does not start or
    the node is not idle within ``timeout`` seconds; whatever was started is stopped first.
    """
    if os.geteuid() != 0:
        raise ClusterError("starting SLURM's daemons needs root")
    missing = missing_commands()
    if missing:
        raise ClusterError(f"missing {', '.join(missing)} (install slurm-wlm and munge)")
    root = Path(tempfile.mkdtemp(prefix="mlmpipe-slurm-", dir=parent))
    root.chmod(0o755)
    node = subprocess.run(
        ["hostname", "-s"], capture_output=True, text=True, check=True
    ).stdout.strip()
    real_memory = int(_memory_mb() * 0.75)
    cluster = Cluster(root=root, conf=root / "slurm.conf", node=node, real_memory_mb=real_memory)
    for folder in ("state", "spool", "log"):
        (root / folder).mkdir()
    cluster.conf.write_text(
        slurm_conf(
            root,
            node,
            ctld_port=_free_port(),
            slurmd_port=_free_port(),
            real_memory_mb=real_memory,
        )
    )
    try:
        _link_run_conf(cluster)
        _start_munged(cluster)
        _start_daemon(
            cluster, "slurmctld", [_command("slurmctld"), "-f", str(cluster.conf)],
            root / "slurmctld.pid",
        )  # fmt: skip
        _start_daemon(
            cluster, "slurmd", [_command("slurmd"), "-f", str(cluster.conf)], root / "slurmd.pid"
        )
        _wait_idle(cluster, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _link_run_conf(cluster: Cluster) -> None:
    """Make ``/run/slurm/conf`` a link to the cluster's folder, so that ``srun`` in a job finds
    slurm.conf without SLURM_CONF. A link left by a cluster whose folder is gone is replaced;
    anything else there belongs to another cluster and is left alone (ClusterError)."""
    if Path("/etc/slurm/slurm.conf").exists():
        raise ClusterError(
            "/etc/slurm/slurm.conf exists: this machine has its own SLURM configuration, which "
            "srun in a job would read instead of the test cluster's"
        )
    if RUN_CONF.is_symlink() and not RUN_CONF.exists():
        RUN_CONF.unlink()  # a link into a removed cluster folder
    if RUN_CONF.exists() or RUN_CONF.is_symlink():
        raise ClusterError(f"{RUN_CONF} exists: another SLURM cluster runs on this machine")
    if not RUN_CONF.parent.is_dir():
        RUN_CONF.parent.mkdir(mode=0o755)
        cluster.made.append(RUN_CONF.parent)
    RUN_CONF.symlink_to(cluster.root)
    cluster.made.append(RUN_CONF)


def _start_munged(cluster: Cluster) -> None:
    """Start munged as user munge with a fresh key and its socket in the cluster's folder.

    munged wants its socket's folder open to all (``munge/``) and its key private
    (``munge/private/``), both owned by munge."""
    folder = cluster.root / "munge"
    folder.mkdir()
    folder.chmod(0o755)
    private = folder / "private"
    private.mkdir(mode=0o700)
    key = private / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    uid, gid = pwd.getpwnam("munge").pw_uid, grp.getgrnam("munge").gr_gid
    for path in (folder, private, key):
        os.chown(path, uid, gid)
    log = cluster.root / "log" / "munged.log"
    log.touch()
    os.chown(log, uid, gid)
    command = [
        _command("munged"),
        f"--key-file={key}",
        f"--socket={folder}/munge.socket.2",
        f"--pid-file={folder}/munged.pid",
        f"--seed-file={private}/munged.seed",
        f"--log-file={log}",
    ]
    _start_daemon(cluster, "munged", command, folder / "munged.pid", user=uid, group=gid)


def _wait_idle(cluster: Cluster, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = cluster.node_state()
        if state == "idle":
            return
        time.sleep(0.5)
    raise ClusterError(
        f"node {cluster.node} not idle after {timeout:.0f} s (state {state!r})\n"
        f"slurmctld: {cluster.log('slurmctld')}\nslurmd: {cluster.log('slurmd')}"
    )
