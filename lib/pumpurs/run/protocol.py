"""What the batch and its workers say to each other, typed.

The batch sends a worker a `WorkerConfig` once, then one `Task` per report; the worker
answers `Ready` (or `StartupError`) once, then one `Result` per task. They travel
pickled over a socket (multiprocessing.connection), so they are plain dicts at run time
and TypedDicts here, where the type checker holds both sides to one shape.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class WorkerConfig(TypedDict, total=False):
    env: dict[str, str]  # added to the kernel's environment
    warm_imports: list[str]  # modules the kernel imports while it warms up
    cwd: str
    kernel_name: str


class _TaskOptions(TypedDict, total=False):
    empty: bool  # a municipality without data: executed without the kernel (run/empty.py)


class Task(_TaskOptions):
    id: str  # the report's id: the municipality's slug or "overview"
    name: str
    notebook: str  # the notebook to execute
    parameters: dict[str, Any]  # injected by papermill
    shown_parameters: dict[str, Any]  # what the stored notebook records (no paths if public)
    shown_notebook: str  # the notebook's path as the stored notebook records it
    workdir: str  # the report's temporary folder (the kernel's cwd)
    title: str
    footer: str
    lang: str
    audience: str
    programme_path: str
    expect: list[str]  # files the notebook must write (outputs registry)
    forbid: list[str]  # files this audience must not get
    timeout: float
    manifest: dict[str, Any]  # manifest.json without the outputs


class Result(TypedDict, total=False):
    id: str
    ok: bool
    error: str  # one line; empty when ok
    timings: dict[str, float]
    seconds: float


class Ready(TypedDict):
    type: Literal["ready"]
    seconds: float


class Finished(TypedDict):
    type: Literal["result"]
    result: Result


class StartupError(TypedDict):
    type: Literal["error"]
    error: str
