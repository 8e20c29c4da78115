"""The deploy recipes (run nowhere here: no Docker, no cluster) keep what the lab needs: cookie affinity,
health and readiness probes, the home page opened once before a replica is ready, Redis, CPU and GPU
workers and an S3 store; the compose proxy configuration passes HAProxy's own check; no ingress-nginx."""

import subprocess
from pathlib import Path

import pytest
import yaml

from annlab.serve import COOKIE, find_haproxy

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _docs(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def test_compose_recipe_has_every_part():
    compose = _docs("compose.yaml")[0]
    services = compose["services"]
    assert {"proxy", "web", "worker-cpu", "worker-gpu", "redis", "store"} <= set(services)
    web = services["web"]
    assert web["environment"]["ANNLAB_REDIS_URL"].startswith("redis://")
    assert web["environment"]["ANNLAB_STORE"].startswith("s3://")
    assert "annlab-ready" in " ".join(web["healthcheck"]["test"])  # ready after the home page was opened
    assert services["worker-cpu"]["command"] == ["worker", "cpu"]
    assert services["worker-gpu"]["command"] == ["worker", "cuda"]
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]


def test_compose_proxy_is_sticky_and_passes_haproxy_check(tmp_path):
    cfg = (DEPLOY / "haproxy.cfg").read_text()
    assert f"cookie {COOKIE} insert" in cfg and "httpchk GET /_stcore/health" in cfg
    haproxy = find_haproxy()
    if haproxy is None:
        pytest.skip("HAProxy is not installed (make haproxy)")
    check = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_kubernetes_recipe_uses_the_gateway_api_with_cookie_affinity_and_probes():
    text = (DEPLOY / "kubernetes.yaml").read_text()
    docs = _docs("kubernetes.yaml")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("HTTPRoute", "annlab") in kinds and not any(k == "Ingress" for k, _ in kinds)
    assert "nginx.ingress.kubernetes.io" not in text.replace("ingress-nginx was retired", "")
    route = next(d for d in docs if d["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["sessionPersistence"] == {"sessionName": COOKIE, "type": "Cookie"}
    web = next(d for d in docs if d["metadata"]["name"] == "annlab-web" and d["kind"] == "Deployment")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["startupProbe"]["exec"]["command"] == ["test", "-f", "/tmp/annlab-ready"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    gpu = next(d for d in docs if d["metadata"]["name"] == "annlab-worker-gpu")
    assert gpu["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    traefik = _docs("kubernetes-traefik.yaml")[0]
    assert traefik["spec"]["routes"][0]["services"][0]["sticky"]["cookie"]["name"] == COOKIE


def test_entrypoint_opens_the_home_page_before_it_is_ready():
    text = (DEPLOY / "entrypoint.sh").read_text()
    assert text.index("open_home(") < text.index('open("/tmp/annlab-ready"')
    assert "worker) exec python -m annlab worker" in text
