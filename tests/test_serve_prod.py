"""Production set-up: two app replicas behind Debian's nginx on loopback — health check,
websockets (pages render through the proxy), sticky sessions spread over both replicas, a write
seen by both, oversized uploads refused by the proxy."""

import os
import shutil
import urllib.error
import urllib.request

import pytest

from observatoire import serve_prod
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_idle

pytestmark = pytest.mark.skipif(
    not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx") and not os.environ.get("CI"),
    reason="nginx absent (make test l'installe)",
)


@pytest.fixture(scope="module")
def behind_nginx(built_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prod")
    db = tmp / "observatoire.duckdb"
    shutil.copy(built_db, db)
    os.environ["OBSERVATOIRE_LOOPBACK"] = "1"
    old = os.environ.get("OBSERVATOIRE_DB")
    os.environ["OBSERVATOIRE_DB"] = str(db)
    port, app_ports = free_port(), [free_port(), free_port()]
    procs = serve_prod.start(port, app_ports, 1, tmp / "run", tmp / "logs")
    try:
        serve_prod.wait_proxy(port)
        yield f"http://127.0.0.1:{port}", tmp, app_ports
    finally:
        serve_prod.stop(procs)
        if old is None:
            os.environ.pop("OBSERVATOIRE_DB", None)
        else:
            os.environ["OBSERVATOIRE_DB"] = old


def test_health_check_through_the_proxy(behind_nginx):
    url, *_ = behind_nginx
    assert urllib.request.urlopen(url + "/sante", timeout=5).read() == b"ok"


def test_oversized_upload_is_refused_by_the_proxy(behind_nginx):
    url, *_ = behind_nginx
    req = urllib.request.Request(
        url + "/_stcore/upload_file/x/y", data=b"0" * (2 * 1024 * 1024), method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 413  # refused by nginx before reaching the app


def test_pages_render_through_the_proxy_websocket(behind_nginx):
    from playwright.sync_api import sync_playwright

    url, *_ = behind_nginx
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url + "/flux?territoire=epci:200040715&flux=travail")
        wait_idle(page, expect="Bilan des flux")
        assert "Grenoble-Alpes-Métropole" in page.inner_text("body")
        browser.close()


def _replica(url: str, cookie: str | None = None) -> str:
    req = urllib.request.Request(url + "/", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers["X-Observatoire-Replique"], resp.headers.get("Set-Cookie", "")


def test_new_sessions_are_spread_over_replicas_then_stick_to_theirs(behind_nginx):
    url, _, app_ports = behind_nginx
    first = [_replica(url) for _ in range(30)]  # new visitors: no cookie yet
    assert {r for r, _ in first} == {f"127.0.0.1:{p}" for p in app_ports}
    for replica, set_cookie in first[:8]:
        cookie = set_cookie.split(";")[0]
        assert cookie.startswith("observatoire_replique=")
        # The same browser (its cookie) always reaches the replica that served it first.
        assert {_replica(url, cookie)[0] for _ in range(5)} == {replica}


def test_a_write_is_seen_by_every_replica(behind_nginx):
    from observatoire.edits import perimeters
    from observatoire.store import writer
    from tests.wsclient import page_bytes

    url, tmp, app_ports = behind_nginx
    db = tmp / "observatoire.duckdb"
    name = "Périmètre écrit pendant le service"
    for p in app_ports:  # both replicas are serving (their caches are warm)
        assert name.encode() not in page_bytes(f"http://127.0.0.1:{p}", "perimetres")
    with writer.write(db, reason="test des répliques") as con:  # the one writer path
        perimeters.save(con, id="pendant-service", name=name, members=[("epci", "242900314")])
    for p in app_ports:
        assert name.encode() in page_bytes(f"http://127.0.0.1:{p}", "perimetres")
    # And through the proxy, in a websocket session.
    assert name.encode() in page_bytes(url, "perimetres")
