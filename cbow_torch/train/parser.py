"""The command line's options: the parser, configs found by name, and one-line messages.

jsonargparse reports a bad option at length and stops at the first unknown key of a config; here
each error is one line that names the option, the class or the file, with a "did you mean".
"""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import DefaultHelpFormatter
from pytorch_lightning.cli import LightningArgumentParser

from ..inputs import INPUTS
from ..objectives import OBJECTIVES
from . import configs


class HelpFormatter(DefaultHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of the description's examples."""


class Parser(LightningArgumentParser):
    """jsonargparse's errors raised (main() prints them as one line), with a "did you mean" for a
    misspelt option: jsonargparse 4.x suggests none on Python < 3.14."""

    def error(self, message: str, ex: Exception | None = None):
        message = _class_problem(message)
        hint = "" if "did you mean" in message else _did_you_mean(self, message)
        return super().error(message + hint, ex)


_CLASS_PROBLEM = re.compile(
    r'Parser key "(?P<key>[^"]+)":.*?Problem with given class_path '
    r"'(?:[\w.]+\.)?(?P<cls>\w+)':(?P<problem>.*?)(?:\n\s*- Expected a <class 'NoneType'>|$)",
    re.DOTALL,
)
_NO_CLASS = re.compile(
    r'Parser key "(?P<key>[^"]+)":.*Expected a dot import path string: (?P<v>\S+)', re.DOTALL
)
CLASS_OPTIONS = {"model.objective": OBJECTIVES, "model.input": INPUTS}


def _class_problem(message: str) -> str:
    """jsonargparse's report on a class option (``model.objective``: which union member failed
    and why, the value's repr) as the one fact that matters: the class and its problem."""
    if found := _CLASS_PROBLEM.search(message):
        problem = " ".join(found["problem"].split()).rstrip(".")
        problem = problem.replace('Parser key "', 'option "')
        problem = problem[:1].lower() + problem[1:]
        return f"{_key(found['key'])} {found['cls']}: {problem}"
    if found := _NO_CLASS.search(message):
        key = _key(found["key"])
        names = ", ".join(CLASS_OPTIONS.get(key, {})) or "an importable class"
        return f"{key} {found['v']}: no such class; give one of {names}"
    return message


def _key(key: str) -> str:
    return key.split(".", 1)[1] if key.startswith(("fit.", "validate.")) else key


def _did_you_mean(parser: LightningArgumentParser, message: str) -> str:
    if (
        not message.startswith("Unrecognized arguments:")
        and "unrecognized arguments" not in message
    ):
        return ""
    given = [w.split("=")[0].lstrip("-") for w in message.split() if w.startswith("--")]
    try:
        keys = list(parser.get_defaults().keys())
    except Exception:  # an error while building the suggestion must not hide the error
        return ""
    keys += [k.split(".", 1)[1] for k in keys if "." in k]  # without the subcommand
    matches = [m for g in given for m in difflib.get_close_matches(g, keys, n=1, cutoff=0.75)]
    return f"; did you mean --{matches[0]}?" if matches else ""


def check_config_keys(parser: LightningArgumentParser, args: list[str] | dict[str, Any]) -> None:
    """Every key of each ``--config`` file (or of a config dict) that no option has, named with
    a "did you mean": jsonargparse stops at the first. Keys under a class option
    (``model.objective``) are the class's to check."""
    if isinstance(args, dict):
        recipes = [("the options", args.get(args.get("subcommand"), {}))]
    else:
        recipes = []
        for path in resolve_configs(args)[1]:
            try:
                recipes.append((f"config {path}", yaml.safe_load(path.read_text(encoding="utf-8"))))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # the parser's own error names it
    if not recipes:
        return
    try:
        known = set(parser.get_defaults().keys())  # noqa: SIM118 (a Namespace, not a dict)
    except Exception:  # the check must not hide what the parser itself would say
        return
    for name, recipe in recipes:
        unknown = [key for key in _flat_keys(recipe) if not _is_known(key, known)]
        if unknown:
            said = []
            for key in unknown:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
                said.append(f"{key} (did you mean {close[0]}?)" if close else key)
            raise ValueError(f"{name}: unknown keys: {', '.join(said)}")


def _flat_keys(node: Any, prefix: str = "") -> list[str]:
    """``{"a": {"b": 1}}`` -> ``["a.b"]``."""
    if not isinstance(node, dict) or not node:
        return [prefix] if prefix else []
    return [
        k for key, value in node.items() for k in _flat_keys(value, f"{prefix}.{key}".lstrip("."))
    ]


def _is_known(key: str, known: set[str]) -> bool:
    parts = key.split(".")
    return key == "config" or any(".".join(parts[:i]) in known for i in range(1, len(parts) + 1))


def resolve_configs(args: list[str]) -> tuple[list[str], list[Path]]:
    """The command line with each ``--config NAME`` (or ``-c``) resolved to its file, a bundled
    name included (``configs.resolve``), and the files in order."""
    out, files, take = [], [], False
    for arg in args:
        if take:
            files.append(configs.resolve(arg))
            out.append(str(files[-1]))
            take = False
        elif arg.startswith("--config="):
            files.append(configs.resolve(arg.split("=", 1)[1]))
            out.append(f"--config={files[-1]}")
        else:
            take = arg in ("-c", "--config")
            out.append(arg)
    return out, files
