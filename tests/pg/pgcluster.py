#!/usr/bin/python3
"""This file starts a throwaway PostgreSQL cluster for the tests.

It never touches a server that happens to run on the machine (port 5432
included): Debian's initdb and pg_ctl (/usr/lib/postgresql/N/bin) make a
new cluster in a directory under the build folder, run by an unprivileged
user when the tests run as root (`nobody`; initdb refuses root), with its
socket in a fresh temporary directory and a free TCP port on 127.0.0.1.

Authentication: trust for the cluster's superuser `tabula` (local socket
and 127.0.0.1), and one password user `tq_secret` (scram-sha-256 on
127.0.0.1) for the tests that check a password never shows. The database
is `tabula`.

As a module:
    with Cluster() as pg:          # or test_server(): TABULA_TEST_PG wins
        pg.url                     # postgresql://tabula@127.0.0.1:PORT/tabula
        pg.password_url            # postgresql://tq_secret:PW@127.0.0.1:PORT/tabula
    with clusters(3) as (a, b, c): # several at once (the postgres_fdw test);
        ...                        # all stopped and removed on leaving
As a command:
    pgcluster.py run [--dir D] -- CMD ARGS...
        starts a cluster, runs CMD with TABULA_TEST_PG (and
        TABULA_TEST_PG_PASSWORD_URL) set, stops and removes the cluster,
        and exits with CMD's status. When TABULA_TEST_PG is already set,
        runs CMD against that server instead.
    pgcluster.py start [--dir D] [--count N]
                                   starts N (default 1) and prints `export`
                                   lines (TABULA_TEST_PG_2, _3, ... for the
                                   second and later) and their stop commands
    pgcluster.py stop DATADIR      stops and removes it
"""

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SUPERUSER = "tabula"
DATABASE = "tabula"
PASSWORD_USER = "tq_secret"
PASSWORD = "S3cret-Pa55word"
RUN_AS = "nobody"

_here = os.path.dirname(os.path.abspath(__file__))
_top = os.path.dirname(os.path.dirname(_here))


def build_dir():
    """The build folder the tests use: $TABULA_BUILD, else build/ at the
    top of the repository."""
    return os.environ.get("TABULA_BUILD") or os.path.join(_top, "build")


def bindir():
    """The newest Debian PostgreSQL server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise RuntimeError("no PostgreSQL server installed "
                           "(apt-get install postgresql)")
    return os.path.dirname(found[-1])


def psql(url, *sql):
    """Runs each of `sql` in turn with psql on the database `url` (unaligned,
    tuples only, stopping at the first error, which raises
    CalledProcessError); returns psql's output."""
    args = [os.path.join(bindir(), "psql"), "-X", "-q", "-A", "-t", "-v",
            "ON_ERROR_STOP=1", url]
    for s in sql:
        args += ["-c", s]
    return subprocess.run(args, check=True, capture_output=True,
                          text=True).stdout


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (never 5432)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 5432:
            return port


class Cluster:
    """A throwaway cluster: start() / stop(), or a context manager."""

    def __init__(self, base=None):
        self.base = base or os.path.join(
            os.environ.get("TABULA_BUILD", os.path.join(_top, "build")), "pg")
        self.bin = bindir()
        self.user = RUN_AS if os.geteuid() == 0 else None
        self.root = self.data = self.sockdir = None
        self.port = None

    # -- running commands as the cluster's owner

    def _cmd(self, argv):
        if self.user:
            return ["runuser", "-u", self.user, "--"] + argv
        return argv

    def _run(self, argv, **kw):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        p = subprocess.run(self._cmd(argv), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, **kw)
        if p.returncode:
            raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}\n"
                               f"{p.stdout}")
        return p

    def _chown(self, path):
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _reachable(self, path):
        """Whether the owner can reach `path` (every parent searchable)."""
        if not self.user:
            return True
        return subprocess.run(self._cmd(["test", "-x", path])).returncode == 0

    # -- the cluster

    def start(self):
        os.makedirs(self.base, exist_ok=True)
        base = self.base if self._reachable(self.base) else None
        self.root = tempfile.mkdtemp(prefix="cluster-", dir=base)
        os.chmod(self.root, 0o755)
        self._chown(self.root)
        self.data = os.path.join(self.root, "data")
        self.sockdir = tempfile.mkdtemp(prefix="tabula-pgsock-")
        os.chmod(self.sockdir, 0o755)
        self._chown(self.sockdir)
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write("unused-superuser-password\n")
        self._chown(pwfile)
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data,
                   "-U", SUPERUSER, "--pwfile", pwfile, "-A", "trust",
                   "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"])
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write(f"local all {SUPERUSER} trust\n"
                    f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
                    f"local all all scram-sha-256\n"
                    f"host all all 127.0.0.1/32 scram-sha-256\n")
        self.port = free_port()
        opts = (f"-k {self.sockdir} -p {self.port} "
                f"-c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=40 -c max_prepared_transactions=0")
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                   "-l", os.path.join(self.root, "log"), "-o", opts,
                   "-w", "-t", "60", "start"])
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")
        self.psql("postgres",
                  f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}';"
                  f"GRANT ALL ON DATABASE {DATABASE} TO {PASSWORD_USER};")
        self.psql(DATABASE, f"GRANT ALL ON SCHEMA public TO {PASSWORD_USER}")
        return self

    def psql(self, db, sql):
        """Runs `sql` as the superuser through the socket; returns output."""
        psql = os.path.join(self.bin, "psql")
        if not os.path.exists(psql):
            psql = "/usr/bin/psql"
        return self._run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", self.sockdir, "-p", str(self.port),
                          "-U", SUPERUSER, "-d", db, "-c", sql]).stdout

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError, TypeError):
            return None

    def stop(self):
        pid = self._postmaster_pid() if self.data else None
        if pid:
            subprocess.run(self._cmd([os.path.join(self.bin, "pg_ctl"),
                                      "-D", self.data, "-m", "immediate",
                                      "-w", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # pg_ctl failing must not leave the server behind.
            for _ in range(50):
                try:
                    os.kill(pid, signal.SIGQUIT)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        for d in (self.root, self.sockdir):
            if d:
                shutil.rmtree(d, ignore_errors=True)
        self.root = self.data = self.sockdir = None

    def restart(self):
        """Restarts the server (fast mode): open connections are lost."""
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                   "-l", os.path.join(self.root, "log"), "-m", "fast", "-w",
                   "restart"])

    @property
    def url(self):
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def password_url(self):
        return (f"postgresql://{PASSWORD_USER}:{PASSWORD}@127.0.0.1:"
                f"{self.port}/{DATABASE}")

    def env(self):
        return {"TABULA_TEST_PG": self.url,
                "TABULA_TEST_PG_PASSWORD_URL": self.password_url}

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


class _Named:
    """A server named by TABULA_TEST_PG: nothing to start or stop."""

    def __init__(self, url):
        self.url = url
        self.password_url = os.environ.get("TABULA_TEST_PG_PASSWORD_URL")

    def env(self):
        e = {"TABULA_TEST_PG": self.url}
        if self.password_url:
            e["TABULA_TEST_PG_PASSWORD_URL"] = self.password_url
        return e

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


class clusters:
    """`n` throwaway clusters started together, each on its own port and
    socket, all stopped and removed when the with block ends (or when one
    of them fails to start). The value of the with statement is the list."""

    def __init__(self, n, base=None):
        assert n >= 1
        self.n, self.base, self.started = n, base, []

    def __enter__(self):
        try:
            for _ in range(self.n):
                pg = Cluster(self.base)
                self.started.append(pg)
                pg.start()
        except BaseException:
            self.__exit__()
            raise
        return list(self.started)

    def __exit__(self, *exc):
        for pg in reversed(self.started):
            pg.stop()
        self.started = []


def test_server(base=None):
    """The server the tests use: TABULA_TEST_PG when set, else a new
    throwaway cluster (a context manager either way)."""
    url = os.environ.get("TABULA_TEST_PG")
    if url:
        return _Named(url)
    return Cluster(base)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--dir")
    r.add_argument("command", nargs=argparse.REMAINDER)
    s = sub.add_parser("start")
    s.add_argument("--dir")
    s.add_argument("--count", type=int, default=1)
    t = sub.add_parser("stop")
    t.add_argument("datadir")
    a = ap.parse_args(argv)
    # SIGTERM (a timeout) still stops the cluster, through the with block.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.what == "run":
        cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
        if not cmd:
            ap.error("run needs a command")
        with test_server(a.dir) as pg:
            env = dict(os.environ, **pg.env())
            return subprocess.run(cmd, env=env).returncode
    if a.what == "start":
        for i in range(max(a.count, 1)):
            pg = Cluster(a.dir).start()
            suffix = f"_{i + 1}" if i else ""
            for k, v in pg.env().items():
                print(f"export {k}{suffix}='{v}'")
            print(f"# stop with: {sys.argv[0]} stop {pg.data}")
        return 0
    pg = Cluster()
    pg.data = a.datadir
    pg.root = os.path.dirname(a.datadir)
    pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
