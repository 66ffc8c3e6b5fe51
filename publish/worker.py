"""A second Python process for work the build hands off, so that it runs on the machine's second core while the build goes on.

Worker(module) starts `python -m <module>` (a small process: only that module's imports); each message sent to it is
pickled to its input, and result() ends its input and takes the one answer it pickles back. The module's main calls
serve(handle), where handle takes the messages as they arrive and returns the answer. A worker that fails raises
WorkerFailed from send() or result(); one left running (the build stopped early) is ended by stop().
Used for Material's search index (publish/search.py) and for reading the built site (publish/built.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The pipe to a worker holds this many bytes, so a long message is handed over without waiting for the worker to read it.
PIPE_BYTES = 1 << 20


class WorkerFailed(RuntimeError):
    """A worker process ended without its answer."""


class Worker:
    """`python -m <module>` in its own process, fed pickled messages; see the module's docstring."""

    def __init__(self, module: str) -> None:
        self.module = module
        # The project first on the worker's path, as it is on this process's, whatever folder or settings it runs with.
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
        self.process = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.input, self.output = self.process.stdin, self.process.stdout
        resize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux's; elsewhere the pipe keeps its size
        with contextlib.suppress(OSError):  # a smaller pipe only makes the sender wait for the worker now and then
            if resize is not None:
                fcntl.fcntl(self.input.fileno(), resize, PIPE_BYTES)

    def send(self, message: Any) -> None:
        """Hand the worker a message; raises WorkerFailed if it has ended."""
        try:
            pickle.dump(message, self.input, protocol=pickle.HIGHEST_PROTOCOL)
            self.input.flush()
        except BrokenPipeError as error:
            raise self._failed(error) from None

    def result(self) -> Any:
        """The worker's answer, once every message is sent; raises WorkerFailed if it ends without one."""
        try:
            self.input.close()
            answer = pickle.load(self.output)
        except (BrokenPipeError, EOFError, pickle.UnpicklingError) as error:
            raise self._failed(error) from None
        if self.process.wait() != 0:
            raise self._failed(None)
        return answer

    def _failed(self, error: BaseException | None) -> WorkerFailed:
        status = self.process.wait()
        why = f"; {type(error).__name__}: {error}" if error is not None else ""
        return WorkerFailed(f"the worker `python -m {self.module}` ended without its answer (exit {status}{why})")

    def stop(self) -> None:
        """End the worker if it is still running, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.input, self.output):
            with contextlib.suppress(OSError):  # what a worker that ended early left unread
                pipe.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()


def serve(handle: Callable[[Iterator[Any]], Any]) -> None:
    """A worker's main: handle the messages read from this process's input; its answer goes to this process's output.

    Anything else the worker prints goes to its error output, so that it cannot spoil the answer; Ctrl-C is left to the
    build, which ends its workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source, sink = sys.stdin.buffer, os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def messages() -> Iterator[Any]:
        while True:
            try:
                yield pickle.load(source)
            except EOFError:
                return

    pickle.dump(handle(messages()), sink, protocol=pickle.HIGHEST_PROTOCOL)
    sink.flush()
