"""The one module that runs pandoc: batches of reads and writes in one or a few processes.

The pandoc is always the one that ships inside the pypandoc-binary wheel, called by its
path: a different pandoc on PATH never takes its place.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from qabook.resources import LUA

BATCH_SCRIPT = LUA / "batch.lua"
MARKDOWN = "commonmark_x+sourcepos"
VERSION = "3.9"  # the pandoc of the pinned pypandoc-binary: the AST and the EPUB bytes depend on it
API_VERSION = [1, 23, 1, 1]  # pandoc 3.9's JSON AST version, for documents we hand back
TIMEOUT = 300  # seconds for one batch; pandoc is fast, a hang means pathological input
MEMORY = "-M2g"  # pandoc's own heap cap (GHC RTS), so a hostile input cannot eat the machine
ALLOCATION = "-A16m"  # GHC's default of 4 MiB had pandoc collect garbage for 40% of a batch


def _rts() -> list[str]:
    """pandoc's run-time options: its heap cap, and an allocation area four times GHC's
    default (a tenth less time for the same output)."""
    return ["+RTS", MEMORY, ALLOCATION, "-RTS"]

#: why pandoc failed: "input" (its heap cap: something it was given is too big or too deep),
#: "time" (the guard against a hang, which never blames a file: correctness must not depend
#: on the machine's speed), "environment" (it cannot run, or the system killed it) or
#: "engine" (pandoc reported an error of its own)
Cause = Literal["input", "time", "environment", "engine"]


class PandocError(Exception):
    """pandoc could not run a job; the message is pandoc's own, `cause` says whose problem
    it is."""

    def __init__(self, message: str, cause: Cause = "engine"):
        super().__init__(message)
        self.cause = cause


def executable() -> Path:
    """The pandoc of the pypandoc-binary wheel (which may be missing: environment checks)."""
    spec = importlib.util.find_spec("pypandoc")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec else Path("pypandoc")
    return folder / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc")


def read_many(texts: list[str], reader: str, workers: int | None = None) -> list[dict[str, Any]]:
    """Parse many texts to pandoc JSON ASTs, in job order; a failed job is {"error": message}.

    Reading runs pandoc's own batch interface (pandoc-server's /batch endpoint, spoken over
    CGI on stdin and stdout: no socket, no file access) in one or a few processes, with the
    server's time limit switched off, so what is read never depends on how busy the machine
    is. A whole batch that fails raises PandocError.
    """
    jobs = [{"text": text, "from": reader, "to": "json"} for text in texts]
    results = _parallel(jobs, _serve, workers)
    enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic GC only slows decoding down
    try:
        return [_decode(r) for r in results]
    finally:
        if enabled:
            gc.enable()


def _decode(result: dict[str, Any]) -> dict[str, Any]:
    if "output" not in result:
        return result
    try:
        return json.loads(result["output"])
    except RecursionError:  # markup nested a few hundred deep: the model names the place
        return _decode_deep(result["output"])


def _decode_deep(text: str) -> Any:
    """json.loads without recursion, for an AST nested deeper than the C decoder can go.

    Containers are opened and closed on a stack; scalars (strings, numbers, literals) are
    read by json's own decoder, which never recurses for them.
    """
    scalar = json.JSONDecoder().raw_decode
    space = json.decoder.WHITESPACE
    stack: list[list] = []  # [container, key waiting for its value]
    root: Any = None
    index = space.match(text, 0).end()
    while index < len(text):
        char = text[index]
        if char in "[{":
            value: Any = [] if char == "[" else {}
            index += 1
        elif char in "]}":
            stack.pop()
            index = space.match(text, index + 1).end()
            continue
        elif char in ",:":
            index = space.match(text, index + 1).end()
            continue
        else:
            value, index = scalar(text, index)
        if stack and isinstance(stack[-1][0], dict) and stack[-1][1] is None:
            stack[-1][1] = value  # a key
        elif stack:
            container, key = stack[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                container[key] = value
                stack[-1][1] = None
        else:
            root = value
        if isinstance(value, (list, dict)):
            stack.append([value, None])
        index = space.match(text, index).end()
    return root


def mathml(formulas: list[tuple[str, bool]]) -> list[tuple[str | None, str]]:
    """For each (TeX, display) formula, pandoc's MathML (texmath, as the EPUB uses it) in an
    HTML paragraph, with why it cannot show the formula (None when it can)."""
    jobs = []
    for tex, display in formulas:
        math = {"t": "Math", "c": [{"t": "DisplayMath" if display else "InlineMath"}, tex]}
        doc = {"pandoc-api-version": API_VERSION, "meta": {},
               "blocks": [{"t": "Para", "c": [math]}]}
        jobs.append({"text": json.dumps(doc), "from": "json", "to": "html5",
                     "html-math-method": "mathml"})
    out: list[tuple[str | None, str]] = []
    for result in _parallel(jobs, _serve, None):
        if "error" in result:
            out.append((result["error"], ""))
            continue
        warnings = [m.get("message", "") for m in result.get("messages", [])
                    if m.get("verbosity") in ("WARNING", "ERROR")]
        out.append(("; ".join(warnings) or None, result["output"]))
    return out


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
    sizes = [len(job.get("text") or "") or len(json.dumps(job.get("write") or job.get("epub")))
             for job in jobs]
    chunks: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for index in sorted(range(len(jobs)), key=lambda i: -sizes[i]):
        target = loads.index(min(loads))
        chunks[target].append(index)
        loads[target] += sizes[index]
    return [sorted(chunk) for chunk in chunks if chunk]


def _run_chunk(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One `pandoc lua` process running lua/batch.lua over the jobs."""
    proc = _run([str(executable()), *_rts(), "lua", str(BATCH_SCRIPT)],
                json.dumps(jobs).encode("utf-8"), _environment())
    lines = proc.stdout.splitlines()
    if len(lines) != len(jobs):
        raise PandocError(_stderr(proc) or "pandoc's batch ended early")
    # Large ASTs are millions of small containers; the cyclic GC only slows decoding down.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [json.loads(line) for line in lines]
    except ValueError:
        raise PandocError("pandoc's answer was cut short") from None
    finally:
        if enabled:
            gc.enable()


def _serve(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One pandoc process answering a /batch request as a CGI program, with no time limit."""
    body = json.dumps(jobs).encode("utf-8")
    env = {**_environment(), "REQUEST_METHOD": "POST", "PATH_INFO": "/batch",
           "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
           "HTTP_ACCEPT": "application/json", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
           "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1",
           # pandoc-server gives a CGI request 2 s unless told otherwise; a negative number
           # turns the limit off (our own TIMEOUT still guards against a hang)
           "PANDOC_SERVER_TIMEOUT": "-1"}
    with tempfile.TemporaryDirectory() as scratch:
        cgi = Path(scratch) / "pandoc-server.cgi"  # pandoc acts as the server under this name
        cgi.symlink_to(executable())
        proc = _run([str(cgi), *_rts()], body, env)
    head, _, payload = proc.stdout.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not head.startswith(b"Status: 200"):
        status = head.split(b"\n", 1)[0].decode("utf-8", "replace")
        raise PandocError(_stderr(proc) or f"pandoc-server answered {status!r}")
    try:
        results = json.loads(payload)
    except ValueError:
        raise PandocError("pandoc-server's answer was cut short") from None
    return [r if "output" in r else {"error": r.get("error") or str(r)} for r in results]


def _run(command: list[str], stdin: bytes, env: dict[str, str],
         cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run pandoc; a failed run raises PandocError with its cause."""
    try:
        proc = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT,
                              check=False, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc did not finish within {TIMEOUT} s", "time") from None
    except OSError as exc:
        raise PandocError(f"cannot run pandoc ({command[0]}): {exc.strerror or exc}",
                          "environment") from None
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = str(-proc.returncode)
        raise PandocError(f"pandoc was killed by signal {name} (the system may be out of "
                          "memory)", "environment")
    if proc.returncode != 0:
        message = _stderr(proc) or f"exit code {proc.returncode}"
        heap = "Heap exhausted" in message
        limit = MEMORY[2:-1] + {"g": " GiB", "m": " MiB"}.get(MEMORY[-1], MEMORY[-1])
        raise PandocError(f"pandoc needs more memory than its limit of {limit}" if heap
                          else message, "input" if heap else "engine")
    return proc


def _stderr(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.decode("utf-8", "replace").strip()


def _environment() -> dict[str, str]:
    """A fixed environment: no user data directory, no locale or time zone surprises."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")
    return env


def write_file(doc: dict[str, Any], output: Path, args: list[str], cwd: Path,
               env: dict[str, str] | None = None) -> None:
    """Write a JSON document to a file with the pandoc command line (for binary formats);
    any warning pandoc prints fails the job."""
    command = [str(executable()), *_rts(), "--from=json", f"--output={output}",
               *args]
    proc = _run(command, json.dumps(doc).encode("utf-8"), {**_environment(), **(env or {})},
                cwd)
    warnings = _stderr(proc)
    if warnings:
        raise PandocError(warnings)
