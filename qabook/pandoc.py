"""The one module that runs pandoc: batches of reads and writes in one or a few processes."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pypandoc

BATCH_SCRIPT = Path(__file__).parent / "lua" / "batch.lua"
MARKDOWN = "commonmark_x+sourcepos"
API_VERSION = [1, 23, 1, 1]  # pandoc 3.9's JSON AST version, for documents we hand back
TIMEOUT = 300  # seconds for one batch; pandoc is fast, a hang means pathological input
MEMORY = "-M2g"  # pandoc's own heap cap (GHC RTS), so a hostile input cannot eat the machine


class PandocError(Exception):
    """pandoc could not run a job; the message is pandoc's own."""


def executable() -> str:
    """Path of the pandoc that ships inside the pypandoc-binary wheel."""
    return pypandoc.get_pandoc_path()


def version() -> str:
    return pypandoc.get_pandoc_version()


def read_many(texts: list[str], reader: str, workers: int | None = None) -> list[dict[str, Any]]:
    """Parse many texts to pandoc JSON ASTs, in job order; a failure is {"error": message}.

    Reading runs pandoc's own batch interface (pandoc-server's /batch endpoint, spoken over
    CGI on stdin and stdout: no socket, no file access) in one or a few processes. It keeps
    the AST out of Lua, where marshalling a source-positioned AST costs more than parsing.
    """
    jobs = [{"text": text, "from": reader, "to": "json"} for text in texts]
    results = _parallel(jobs, _serve_all, workers)
    enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic GC only slows decoding down
    try:
        return [json.loads(r["output"]) if "output" in r else r for r in results]
    finally:
        if enabled:
            gc.enable()


def run_batch(jobs: list[dict[str, Any]], workers: int | None = None) -> list[dict[str, Any]]:
    """Run jobs (see lua/batch.lua) split over a few concurrent pandoc processes.

    Results come back in job order; a failed job is {"error": message}.
    """
    return _parallel(jobs, _run_chunk, workers)


def _parallel(jobs: list[dict[str, Any]], run, workers: int | None) -> list[dict[str, Any]]:
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs), 4))
    chunks = _balance(jobs, workers)
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        outputs = list(pool.map(lambda chunk: run([jobs[i] for i in chunk]), chunks))
    results: list[Any] = [None] * len(jobs)
    for chunk, output in zip(chunks, outputs):
        for index, result in zip(chunk, output):
            results[index] = result
    return results


def _balance(jobs: list[dict[str, Any]], workers: int) -> list[list[int]]:
    """Greedy split of job indices into `workers` chunks of similar text size."""
    sizes = [len(job.get("read") or job.get("text") or "") or len(json.dumps(job.get("write")))
             for job in jobs]
    chunks: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for index in sorted(range(len(jobs)), key=lambda i: -sizes[i]):
        target = loads.index(min(loads))
        chunks[target].append(index)
        loads[target] += sizes[index]
    return [sorted(chunk) for chunk in chunks if chunk]


def _run_chunk(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    command = [executable(), "+RTS", MEMORY, "-RTS", "lua", str(BATCH_SCRIPT)]
    try:
        proc = subprocess.run(
            command, input=json.dumps(jobs).encode("utf-8"), capture_output=True,
            timeout=TIMEOUT, check=False, env=_environment(),
        )
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc did not finish within {TIMEOUT} s") from None
    except OSError as exc:
        raise PandocError(f"cannot run pandoc: {exc}") from None
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != len(jobs):
        message = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise PandocError(message)
    # Large ASTs are millions of small containers; the cyclic GC only slows decoding down.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [json.loads(line) for line in lines]
    finally:
        if enabled:
            gc.enable()


SERVE_CHARS = 150_000  # pandoc-server gives a request 2 s (fixed under CGI): keep requests short


def _serve_all(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serve jobs in requests small enough to beat pandoc-server's time limit.

    A single text too long for the limit is read through `pandoc lua` instead.
    """
    results: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    size = 0
    for job in jobs + [None]:
        if batch and (job is None or size + len(job["text"]) > SERVE_CHARS):
            try:
                results.extend(_serve_chunk(batch))
            except ServerTimeout:
                results.extend(_read_with_lua(batch))
            batch, size = [], 0
        if job is not None:
            batch.append(job)
            size += len(job["text"])
    return results


def _read_with_lua(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = _run_chunk([{"read": job["text"], "format": job["from"]} for job in jobs])
    return [{"output": json.dumps(r)} if "error" not in r else r for r in out]


class ServerTimeout(PandocError):
    """pandoc-server ran out of time for a request."""


def _serve_chunk(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One pandoc process answering a /batch request as a CGI program."""
    body = json.dumps(jobs).encode("utf-8")
    env = {**_environment(), "REQUEST_METHOD": "POST", "PATH_INFO": "/batch",
           "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
           "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SCRIPT_NAME": "",
           "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    with tempfile.TemporaryDirectory() as scratch:
        cgi = Path(scratch) / "pandoc-server.cgi"  # pandoc acts as the server under this name
        cgi.symlink_to(executable())
        try:
            proc = subprocess.run([str(cgi), "+RTS", MEMORY, "-RTS"], input=body,
                                  capture_output=True, timeout=TIMEOUT, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise PandocError(f"pandoc did not finish within {TIMEOUT} s") from None
        except OSError as exc:
            raise PandocError(f"cannot run pandoc: {exc}") from None
    head, _, payload = proc.stdout.partition(b"\n\n")
    if proc.returncode != 0 or not head.startswith(b"Status: 200"):
        message = (proc.stderr or payload).decode("utf-8", "replace").strip()
        raise PandocError(message or f"exit code {proc.returncode}")
    if b"Status: 503" in payload[-200:]:  # the time limit struck mid-answer
        raise ServerTimeout("pandoc-server ran out of time")
    results = json.loads(payload)
    return [{"output": r["output"]} if "output" in r else {"error": str(r)} for r in results]


def _environment() -> dict[str, str]:
    """A fixed environment: no user data directory, no locale or time zone surprises."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")
    return env


def write_file(doc: dict[str, Any], output: Path, args: list[str], cwd: Path,
               env: dict[str, str] | None = None) -> None:
    """Write a JSON document to a file with the pandoc command line (for binary formats)."""
    command = [executable(), "+RTS", MEMORY, "-RTS", "--from=json", f"--output={output}", *args]
    try:
        proc = subprocess.run(command, input=json.dumps(doc).encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT, check=False, cwd=cwd,
                              env={**_environment(), **(env or {})})
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc did not finish within {TIMEOUT} s") from None
    except OSError as exc:
        raise PandocError(f"cannot run pandoc: {exc}") from None
    if proc.returncode != 0:
        raise PandocError(proc.stderr.decode("utf-8", "replace").strip()
                          or f"exit code {proc.returncode}")
    warnings = proc.stderr.decode("utf-8", "replace").strip()
    if warnings:
        raise PandocError(warnings)
