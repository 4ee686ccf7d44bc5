"""Production start: Streamlit on loopback behind nginx (Debian), one command.

    python -m observatoire.serve_prod [--port 8080] [--app-port 8502] [--replicas N] [--max-upload-mb 200]

Writes the nginx configuration from ``deploy/nginx.conf.template`` into ``run/``, starts N app
replicas (default: one per core, up to 4; XSRF protection on, headless, loopback only, one
shared cookie secret) and nginx in the foreground, logs in ``logs/``; stops them all on Ctrl-C /
SIGTERM. Health check: ``/sante``. Every replica reads the same DuckDB file read-only; writes go
through the one writer path (``observatoire.store.writer``), whichever replica they come from.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from string import Template

from observatoire import config


def render_config(
    listen: str, app_ports: list[int], max_upload_mb: int, run_dir: Path, log_dir: Path
) -> Path:
    """The nginx configuration file for these ports (returns its path)."""
    text = (config.ROOT / "deploy" / "nginx.conf.template").read_text()
    upstreams = "\n".join(f"        server 127.0.0.1:{p};" for p in app_ports)
    conf = Template(text).safe_substitute(
        RUN_DIR=run_dir, LOG_DIR=log_dir, MAX_UPLOAD_MB=max_upload_mb, UPSTREAMS=upstreams, LISTEN=listen
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "nginx.conf"
    path.write_text(conf)
    return path


def cookie_secret(run_dir: Path) -> str:
    """One secret shared by every replica (a session's cookies are valid on all of them)."""
    path = run_dir / "cookie_secret"
    run_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def wait_healthy(url: str, timeout: float = 90, proc: subprocess.Popen | None = None) -> bool:
    """True once ``url`` (a health check: Streamlit's ``/_stcore/health`` or nginx's ``/sante``)
    answers "ok"; False after ``timeout`` seconds or if ``proc`` has exited."""
    deadline = time.time() + timeout
    while time.time() < deadline and (proc is None or proc.poll() is None):
        try:
            if urllib.request.urlopen(url, timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.5)
    return False


def start(
    port: int, app_ports: int | list[int], max_upload_mb: int, run_dir: Path, log_dir: Path
) -> list[subprocess.Popen]:
    """Start the app replicas (one per port, all reading the same store) and nginx in front;
    returns the processes (nginx last) once every replica answers its health check."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit(
            "nginx absent : installez le paquet Debian « nginx-light » (apt-get install nginx-light)."
        )
    ports = [app_ports] if isinstance(app_ports, int) else list(app_ports)
    log_dir.mkdir(parents=True, exist_ok=True)
    secret = cookie_secret(run_dir)
    apps = []
    for i, app_port in enumerate(ports):
        app_log = open(log_dir / f"streamlit-{i + 1}.log", "ab")
        apps.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "observatoire.ui.serve",
                    "--server.port",
                    str(app_port),
                    "--server.address",
                    "127.0.0.1",
                    "--server.headless",
                    "true",
                    "--server.enableXsrfProtection",
                    "true",
                    "--server.maxUploadSize",
                    str(max_upload_mb),
                ],
                cwd=config.ROOT,
                env=dict(os.environ, STREAMLIT_SERVER_COOKIE_SECRET=secret),
                stdout=app_log,
                stderr=subprocess.STDOUT,
            )
        )
    for app_port, app in zip(ports, apps):
        if not wait_healthy(f"http://127.0.0.1:{app_port}/_stcore/health", 90, app):
            for a in apps:
                a.terminate()
            raise SystemExit(f"une réplique (port {app_port}) n'a pas démarré : voir logs/streamlit-*.log")
    conf = render_config(
        f"127.0.0.1:{port}" if config.loopback_only() else str(port),
        ports,
        max_upload_mb,
        run_dir,
        log_dir,
    )
    proxy = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(run_dir), "-g", "daemon off;"], cwd=config.ROOT
    )
    return [*apps, proxy]


def wait_proxy(port: int, timeout: float = 30) -> bool:
    """True once nginx answers the health check on ``port``."""
    return wait_healthy(f"http://127.0.0.1:{port}/sante", timeout)


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--app-port", type=int, default=8502)
    ap.add_argument("--max-upload-mb", type=int, default=200)
    ap.add_argument(
        "--replicas", type=int, default=min(4, os.cpu_count() or 1), help="processus Streamlit (1 par cœur)"
    )
    args = ap.parse_args(argv)
    ports = [args.app_port + i for i in range(max(1, args.replicas))]
    procs = start(args.port, ports, args.max_upload_mb, config.ROOT / "run", config.ROOT / "logs")
    print(
        f"Observatoire : http://localhost:{args.port}/ ({len(ports)} réplique(s) ; santé : /sante ; "
        "journaux : logs/)"
    )

    signal.signal(signal.SIGTERM, lambda *_: stop(procs))
    try:
        procs[-1].wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
