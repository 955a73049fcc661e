"""The ``dsmw`` parser, and the one guard between the library's errors and the user.

Heavy modules (SymPy, the checks) are imported inside the commands so that ``dsmw
--help`` stays instant. Exit status: 0 success, 1 a check failed or a claim was refuted,
2 bad usage, bad input, an exceeded budget or an environment problem (one message, no
traceback). The words and budgets are explained in ``notes/theory.md``.

Arguments are validated once, by the library, where they enter it; the library names
its Python arguments (``seed``), so :func:`options` maps those names back to the options
the user typed (``--seed``), in the words ``dsmw`` has always used.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "THEORY", "build_parser", "describe",
           "error", "main", "options"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
THEORY = "notes/theory.md"
#: Most worker processes of ``dsmw verify --jobs`` and ``dsmw data --jobs`` (a budget of
#: the command line: the library accepts any number of workers).
MAX_JOBS = 64


class Option(NamedTuple):
    """How a library argument appears on the command line."""

    flag: str
    dest: str  # the attribute of the parsed arguments holding the value as typed
    problem: str | None = None  # None: the library's own words
    fix: str | None = None


@functools.cache
def options() -> dict[str, Option]:
    """Library argument name -> its option: the one place the CLI names what the library
    checked (built on first use: the reliability budget is the library's)."""
    from numeric.audit import MAX_REPETITIONS

    return {
        "seed": Option("--seed", "seed", "seeds are non-negative integers (numpy's rule)",
                       "pass e.g. --seed 0"),
        "alpha": Option("--alpha", "alpha", "a false-alarm rate lies strictly between 0 "
                        "and 1", "pass e.g. --alpha 1e-4"),
        "jobs": Option("--jobs", "jobs", f"--jobs takes integers from 1 to {MAX_JOBS}",
                       "pass e.g. --jobs 1"),
        "repetitions": Option("--repetitions", "repetitions", "--repetitions takes integers "
                              f"from 1 to {MAX_REPETITIONS}", "pass e.g. --repetitions 1000"),
        "--order": Option("--order", "order", "--order takes integers >= 1",
                          "pass --order 1 or more"),
        "claims": Option("--claims", "claims"),
        "components": Option("--components", "components"),
        "sigmas": Option("--sigmas", "sigmas", "expected distinct noise levels > 0 in "
                         "ascending order", "pass e.g. --sigmas 0.1,1,3 or geom:0.01:10:40"),
    }


def as_option(exc: Exception, args: argparse.Namespace) -> Exception:
    """The library's InvalidArgumentError ``exc`` re-rendered under the option's name.

    A budget error (BudgetExceededError) keeps its own problem and fix: only its name
    changes.
    """
    from numeric._validation import BudgetExceededError, InvalidArgumentError

    if not isinstance(exc, InvalidArgumentError):
        return exc
    option = options().get(exc.name)
    if option is None or not hasattr(args, option.dest):
        return exc
    if isinstance(exc, BudgetExceededError):
        return type(exc)(option.flag, exc.value, exc.problem, exc.fix)
    typed = getattr(args, option.dest)
    # a list option (--claims) was split by argparse, and an option left out holds None
    # (the library's default): the library's value says what was checked
    value = exc.value if typed is None or isinstance(typed, list) else typed
    return type(exc)(option.flag, value, option.problem or exc.problem, option.fix or exc.fix)


def check_jobs_budget(jobs: int | None) -> None:
    """The command line's own budget of worker processes (the library's lower bound of 1
    is its own check)."""
    from numeric._validation import InvalidArgumentError

    if jobs is not None and jobs > MAX_JOBS:
        # named like the library's argument, so that options() gives it the same words
        raise InvalidArgumentError("jobs", jobs, f"at most {MAX_JOBS} workers",
                                   "pass e.g. jobs=1")


def _check_repetitions(value: Any) -> None:
    from numeric.audit._limits import check_repetitions

    check_repetitions(value)


def _check_jobs(value: Any) -> None:
    from numeric._validation import check_order

    check_order(value, name="jobs")
    check_jobs_budget(value)


def _check_alpha(value: Any) -> None:
    from numeric.montecarlo import z_threshold

    z_threshold(value, 1)


def _check_seed(value: Any) -> None:
    from numeric._validation import check_seed

    check_seed(value)


def _check_order(value: Any) -> None:
    from numeric._validation import check_order

    check_order(value, name="--order")


#: The scalar options every command checks up front, so that all bad ones are reported
#: together (the library checks them again where they enter it).
_UP_FRONT: tuple[tuple[str, Any], ...] = (
    ("seed", _check_seed), ("alpha", _check_alpha), ("jobs", _check_jobs),
    ("repetitions", _check_repetitions), ("order", _check_order))


def invalid_arguments(args: argparse.Namespace) -> list[Exception]:
    """Every bad scalar option of ``args`` (seed, alpha, jobs, repetitions, order), each
    under its option's name; the empty list if all are good or absent."""
    from numeric._validation import InvalidArgumentError

    found = []
    for dest, check in _UP_FRONT:
        value = getattr(args, dest, None)
        if value is None:
            continue
        try:
            check(value)
        except InvalidArgumentError as exc:
            found.append(as_option(exc, args))
    return found


class _Parser(argparse.ArgumentParser):
    #: Set on a parser whose positional formula may begin with '-': how to pass one.
    formula_example: str | None = None
    #: The last such parser that parsed (a usage error may come from the main parser).
    _formula_parser: _Parser | None = None

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._arg_strings = list(sys.argv[1:] if args is None else args)
        if self.formula_example is not None:
            _Parser._formula_parser = self
        return super().parse_known_args(args, namespace)

    def _formula_advice(self) -> str:
        """How to pass a formula that begins with '-', if an unknown option may be one."""
        parser = self if self.formula_example is not None else _Parser._formula_parser
        if parser is None:
            return ""
        for text in getattr(parser, "_arg_strings", ()):
            if text == "--":
                break
            option = text.split("=", 1)[0]
            known = any(s.startswith(option) for s in parser._option_string_actions)
            if text.startswith("-") and not text.startswith("--") and len(text) > 1 \
                    and not known:
                return (f"; if {text} is a formula, put it after -- and the options before "
                        f"it, e.g. {parser.formula_example}")
        return ""

    def error(self, message: str) -> None:  # argparse exits 2 as well; keep its format
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{self._formula_advice()}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dsm-weighting")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``dsmw`` parser; each subcommand's parser comes from its command module."""
    from numeric.cli import _check, _data, _derive_notes, _reliability, _study, _verify, _weighting

    _Parser._formula_parser = None
    parser = _Parser(
        prog="dsmw",
        description="Derive and verify the optimal weighting of denoising score matching "
        "(claims C1-C9) on analytic Gaussian mixtures.",
        epilog=f"Notation, the claims, the budgets and every printed column are explained in "
        f"{THEORY}. Exit status: 0 passed/holds, 1 failed/refuted, 2 bad input, an exceeded "
        "budget or an environment problem.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in (_verify, _derive_notes, _reliability, _study, _check, _weighting, _data):
        command.add_parser(sub)
    return parser


def describe(exc: BaseException) -> str:
    """An exception in a few words (an OSError as its reason and file)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


def error(args: argparse.Namespace, message: str) -> None:
    """``dsmw COMMAND: error: message`` on stderr."""
    print(f"dsmw {getattr(args, 'command', '') or ''}: error: {message}".replace("  ", " "),
          file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dsmw``; return the exit status (0 / 1 a verdict, 2 anything else).

    Parameters
    ----------
    argv
        The arguments (None: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    from numeric._budget import TimeUp
    from numeric._validation import InvalidArgumentError

    try:
        bad = invalid_arguments(args)
        if len(bad) > 1:   # each on its own line, so that one run reports them all
            for exc in bad:
                error(args, str(exc))
            return EXIT_USAGE
        if bad:
            raise bad[0]
        return int(args.handler(args))
    except InvalidArgumentError as exc:
        error(args, str(as_option(exc, args)))
    except OSError as exc:
        error(args, f"{describe(exc)}; check the destination (writable, space left)")
    except (MemoryError, RecursionError) as exc:
        error(args, f"the input is too large to handle ({type(exc).__name__}); see the "
              f"budgets in {THEORY}")
    except TimeUp:
        error(args, f"a time budget ran out; see the budgets in {THEORY}")
    except KeyboardInterrupt:
        print("dsmw: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, not a traceback (DSMW_DEBUG=1 shows it)
        if os.environ.get("DSMW_DEBUG"):
            raise
        error(args, f"internal error ({type(exc).__name__}: {exc}); please report it with "
              "the command line (DSMW_DEBUG=1 shows the traceback)")
    return EXIT_USAGE


def claims_arg(text: str) -> list[str]:
    """``--claims C1,C2``: the ids, empty parts dropped."""
    return [part for part in text.split(",") if part.strip()]


def progress_enabled(args: Any) -> bool:
    """Progress on stderr unless ``--quiet`` (on a terminal also not with ``--json``, whose
    reader is a program; redirected, a line every few seconds shows the run is alive)."""
    if getattr(args, "quiet", False):
        return False
    return not (sys.stderr.isatty() and getattr(args, "json", False))


def add_quiet(parser: Any) -> None:
    """The ``--quiet`` option of a command that reports progress on stderr."""
    parser.add_argument("--quiet", action="store_true",
                        help="no progress on stderr (by default: a bar on a terminal, "
                        "otherwise a line every few seconds)")
