"""The function runtime: runs the functions Terraform deployed to the emulator, wired by the
triggers Terraform configured (Invoke API, async retries and destinations, DynamoDB stream
mappings with filters, HTTP API routes, scheduled rules). See README.md beside this file."""

from local.runtime.artifacts import StaleArtifactError
from local.runtime.invocations import InvocationLog, InvocationRecord, InvocationResult
from local.runtime.runtime import FunctionRuntime, UnsupportedFunctionError
from local.runtime.settings import RuntimeSettings

__all__ = [
    "FunctionRuntime",
    "InvocationLog",
    "InvocationRecord",
    "InvocationResult",
    "RuntimeSettings",
    "StaleArtifactError",
    "UnsupportedFunctionError",
]
