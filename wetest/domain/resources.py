"""Names of the resources, labels, annotations and defaults the contract fixes (DOMAIN §1, §2)."""

from __future__ import annotations

GROUP = "kubernaut.ai"
VERSION = "v1alpha1"
KIND = "WorkflowExecution"
PLURAL = "workflowexecutions"
CRD_NAME = "workflowexecutions.kubernaut.ai"

TEKTON_GROUP = "tekton.dev"
TEKTON_VERSION = "v1"
PIPELINERUNS = "pipelineruns"
TASKRUNS = "taskruns"

FINALIZER = "workflowexecution.kubernaut.ai/workflowexecution-cleanup"

LABEL_WORKFLOW_EXECUTION = "kubernaut.ai/workflow-execution"
LABEL_WORKFLOW_ID = "kubernaut.ai/workflow-id"
LABEL_TARGET_RESOURCE = "kubernaut.ai/target-resource"
LABEL_SOURCE_NAMESPACE = "kubernaut.ai/source-namespace"
LABEL_CORRELATION_ID = "kubernaut.ai/correlation-id"
ANNOTATION_TARGET_RESOURCE = "kubernaut.ai/target-resource"

DEFAULT_EXECUTION_NAMESPACE = "kubernaut-workflows"
DEFAULT_SERVICE_ACCOUNT = "kubernaut-workflow-runner"
DEFAULT_COOLDOWN_SECONDS = 300.0
DEFAULT_DATASTORAGE_URL = "http://datastorage-service:8080"
COMPONENT = "workflowexecution-controller"

RUNNING_RECHECK_SECONDS = 10.0  # WE-RUN-013
UNKNOWN_PHASE_RETRY_SECONDS = 30.0  # WE-PH-004
