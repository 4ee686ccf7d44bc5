"""Production start: Streamlit on loopback behind nginx (Debian), one command.

    python -m observatoire.serve_prod [--port 8080] [--app-port 8502] [--max-upload-mb 200]

Writes the nginx configuration from ``deploy/nginx.conf.template`` into ``run/``, starts the
app (XSRF protection on, headless, loopback only) and nginx in the foreground, logs in
``logs/``; stops both on Ctrl-C / SIGTERM. Health check: ``/sante``.
"""

from __future__ import annotations

import argparse
import os
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


def start(
    port: int, app_port: int, max_upload_mb: int, run_dir: Path, log_dir: Path
) -> list[subprocess.Popen]:
    """Start the app and nginx; returns both processes once the app answers its health check."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit(
            "nginx absent : installez le paquet Debian « nginx-light » (apt-get install nginx-light)."
        )
    log_dir.mkdir(parents=True, exist_ok=True)
    app_log = open(log_dir / "streamlit.log", "ab")
    app = subprocess.Popen(
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
        stdout=app_log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if (
                urllib.request.urlopen(f"http://127.0.0.1:{app_port}/_stcore/health", timeout=2).read()
                == b"ok"
            ):
                break
        except OSError:
            time.sleep(0.5)
    else:
        app.terminate()
        raise SystemExit("l'application n'a pas démarré : voir logs/streamlit.log")
    conf = render_config(
        f"127.0.0.1:{port}" if os.environ.get("OBSERVATOIRE_LOOPBACK") else str(port),
        [app_port],
        max_upload_mb,
        run_dir,
        log_dir,
    )
    proxy = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(run_dir), "-g", "daemon off;"], cwd=config.ROOT
    )
    return [app, proxy]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--app-port", type=int, default=8502)
    ap.add_argument("--max-upload-mb", type=int, default=200)
    args = ap.parse_args(argv)
    procs = start(args.port, args.app_port, args.max_upload_mb, config.ROOT / "run", config.ROOT / "logs")
    print(f"Observatoire : http://localhost:{args.port}/ (santé : /sante ; journaux : logs/)")

    def stop(*_):
        for p in procs:
            p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        procs[1].wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
