"""API clients built from a kubeconfig file; the place where KUBECONFIG handling lives.

Each call builds its own ``Configuration`` so that clients for different stacks (or for the
controller under test and the harness) never share global state in the kubernetes package.
"""

from __future__ import annotations

from pathlib import Path

from kubernetes import client, config

from wetest.errors import DependencyMissing


def api_client(
    kubeconfig: str | Path, qps_friendly: bool = True, user_agent: str = ""
) -> client.ApiClient:
    """Return an ApiClient for the kubeconfig's current context.

    user_agent names the component in kube-apiserver's audit log (``apiaudit.USER_AGENTS``).
    """
    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        raise DependencyMissing(
            f"The kubeconfig {path}",
            [str(path)],
            "wetest up (or set --wetest-kubeconfig / KUBECONFIG)",
        )
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    if qps_friendly:
        configuration.connection_pool_maxsize = 32
    api = client.ApiClient(configuration)
    if user_agent:
        api.user_agent = user_agent
    return api
