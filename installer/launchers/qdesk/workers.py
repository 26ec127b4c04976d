"""Worker processes of a packaged build: the launcher runs multiprocessing's spawn command, not the CLI.

In a package, `sys.executable` is the app's launcher (the .deb's `/usr/bin/qdesk`, the .app's and
the .msi's stub), so a spawned worker (the folder import's parse pool) starts the launcher with
`[interpreter flags] -c "from multiprocessing.spawn import spawn_main; ..." --multiprocessing-fork`.
Those are Python's arguments, not the app's: run the code as `python -c` would, and nothing else.
"""

from __future__ import annotations

import sys

_FLAGS_WITH_VALUE = ("-X", "-W")  # `-X utf8`, `-W ignore`: the value is the next argument
_SPAWN_PREFIXES = ("from multiprocessing.spawn import", "from multiprocessing.forkserver import")


def _code_index(argv: list[str]) -> int | None:
    """Index of the `-c` code in a spawn command line (after interpreter flags such as -P, -I, -X utf8)."""
    i = 0
    while i < len(argv) - 1:
        arg = argv[i]
        if arg == "-c":
            return i + 1
        if not arg.startswith("-"):
            return None  # the app's own arguments: an interpreter flag never follows one
        i += 2 if arg in _FLAGS_WITH_VALUE else 1
    return None


def is_worker_command(argv: list[str]) -> bool:
    """True for the command line multiprocessing gives a spawned or forkserver child."""
    index = _code_index(argv)
    return index is not None and argv[index].lstrip().startswith(_SPAWN_PREFIXES)


def run_worker(argv: list[str]) -> int:
    """Run the worker's bootstrap code with `sys.argv` as `python -c` sets it; returns the exit code."""
    index = _code_index(argv)
    if index is None:
        raise ValueError("not a multiprocessing worker command line")
    sys.argv = ["-c", *argv[index + 1 :]]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(argv[index], "<string>", "exec"), namespace)  # the stdlib's own bootstrap line
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0
