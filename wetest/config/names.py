"""Every wetest setting in one table: file key, env var, option, default, meaning.

One naming rule, with no exceptions: file key ``x_y`` in ``[tool.wetest]`` is env var
``WETEST_X_Y`` and option ``--wetest-x-y``. ``docs/configuration.md`` is generated from this
table, and tests pin the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "bool", "float", "int", "path", "choice"]


@dataclass(frozen=True)
class Setting:
    """One configurable value, with the reason for its default in ``meaning``."""

    key: str
    default: str
    meaning: str
    kind: Kind = "str"
    choices: tuple[str, ...] = ()
    ecosystem_env: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        """The env var name, derived mechanically from the key."""
        return "WETEST_" + self.key.upper()

    @property
    def option(self) -> str:
        """The command-line option name, derived mechanically from the key."""
        return "--wetest-" + self.key.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "backend",
        "envtest",
        "Where the control plane comes from. envtest starts etcd, "
        "kube-apiserver and kube-controller-manager on loopback; kind needs Docker; existing "
        "uses a kubeconfig you give.",
        "choice",
        ("envtest", "kind", "existing"),
    ),
    Setting(
        "target",
        "bundled",
        'The controller under test: bundled, command:"<cmd>", '
        "deployed:<ns>/<deployment> or image:<ref>.",
    ),
    Setting(
        "kubeconfig",
        "",
        "Kubeconfig of an existing cluster (backend existing). "
        "KUBECONFIG is honoured at the env layer.",
        "path",
        (),
        ("KUBECONFIG",),
    ),
    Setting(
        "assets_dir",
        "",
        "Directory holding etcd, kube-apiserver and "
        "kube-controller-manager, searched after TEST_ASSET_* and KUBEBUILDER_ASSETS.",
        "path",
    ),
    Setting(
        "cache_dir",
        "",
        "Where built binaries live; empty means "
        "${XDG_CACHE_HOME:-~/.cache}/wetest, outside the repository.",
        "path",
    ),
    Setting(
        "no_cache",
        "false",
        "Ignore the build cache when looking for binaries (to check the fail-fast path).",
        "bool",
    ),
    Setting(
        "state_dir",
        "",
        "Where `wetest up` keeps the running stack's state; empty means "
        "${XDG_STATE_HOME:-~/.local/state}/wetest.",
        "path",
    ),
    Setting(
        "kubernetes_version",
        "v1.36.3",
        "Pinned Kubernetes version built from "
        "k8s.io/kubernetes; the Tekton stand-in and controllers see this in /version.",
    ),
    Setting(
        "etcd_version",
        "v3.6.16",
        "Pinned etcd version built from go.etcd.io/etcd/server/v3; "
        "Kubernetes 1.34-1.36 expects etcd 3.6.",
    ),
    Setting(
        "tekton",
        "stand-in",
        "What runs PipelineRuns on backend envtest: stand-in (a Python driver writing Tekton's "
        "status shapes, no build) or real (Tekton's controller, webhook and bundles resolver "
        "built from Go, pods played by KWOK; `wetest assets install --tekton real`).",
        "choice",
        ("stand-in", "real"),
    ),
    Setting("tekton_version", "v1.15.0", "Tekton Pipelines version whose v1 CRDs are installed."),
    Setting(
        "datastorage_url",
        "",
        "An already running DataStorage (e.g. http://localhost:18100); "
        "empty starts the bundled one.",
    ),
    Setting(
        "postgres_dsn",
        "",
        "An existing PostgreSQL for the bundled DataStorage; empty starts a local cluster.",
    ),
    Setting(
        "postgres",
        "local",
        "How to get PostgreSQL when no DSN is given.",
        "choice",
        ("local", "testcontainers"),
    ),
    Setting("execution_namespace", "kubernaut-workflows", "Namespace of PipelineRuns (ENV-001)."),
    Setting(
        "cooldown",
        "10s",
        "Cooldown the bundled controller runs with; Kubernaut's integration "
        "suite uses 10s (ENV-004).",
    ),
    Setting(
        "timeout_scale", "1.0", "Multiplies every wait budget; raise it on slow machines.", "float"
    ),
    Setting("keep_failed", "false", "Keep the namespace of a failed test for inspection.", "bool"),
    Setting(
        "stack_dir",
        "",
        "Attach to a stack already running (the state folder of `wetest up`, or the one "
        "`wetest run` starts) instead of starting one; wetest never stops a stack it did not "
        "start.",
        "path",
    ),
    Setting(
        "results_dir",
        "wetest-results",
        "Where a run writes JUnit XML, Allure results, results.jsonl and the triage report.",
        "path",
    ),
    Setting("profile", "core,conditions,audit,extended,datastorage", "Contract profiles to run."),
    Setting(
        "kind_cluster_name",
        "wetest",
        "Name of the kind cluster (backend kind); a second "
        "name lets two checkouts share one Docker host.",
    ),
    Setting(
        "kind_reuse",
        "false",
        "Use an existing kind cluster of that name instead of refusing "
        "to touch it; a reused cluster is never deleted.",
        "bool",
    ),
    Setting(
        "kind_keep",
        "false",
        "Keep the kind cluster after the run, to reuse or inspect "
        "it (kind delete cluster --name <name> removes it); creating one costs 15-30 s.",
        "bool",
    ),
    Setting(
        "tekton_release",
        "",
        "Tekton release.yaml for backend kind, a path or URL; empty "
        "uses the release pinned (with its sha256) in infra/tekton/VERSION, downloaded "
        "once into the cache dir.",
        "str",
    ),
    Setting(
        "audit_log",
        "true",
        "Record kube-apiserver's audit log (backends envtest and kind) so each failed test's "
        "evidence lists the API calls on its objects (api-calls.jsonl); false only to measure "
        "its cost.",
        "bool",
    ),
    Setting(
        "fork_server",
        "true",
        "Start wetest's own Python processes (the xdist workers of `wetest run`, the bundled "
        "controller and its instances, DataStorage, the Tekton stand-in) as forks of an "
        "interpreter that imported their modules once (0.3-0.5 CPU-s less each); false "
        "starts each as a new Python.",
        "bool",
    ),
    Setting(
        "in_flight",
        "16",
        "How many tests the run keeps going at once: each pytest process runs "
        "ceil(in_flight / processes) of them side by side in threads, so their waits overlap "
        "(16 at -n 0, 8 per worker at -n 2, 1 at -n 16); 1 runs one test at a time per process, "
        "as --pdb and --trace do.",
        "int",
    ),
    Setting(
        "config",
        "",
        "A TOML file with a [tool.wetest] table, instead of the nearest pyproject.toml.",
        "path",
    ),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
