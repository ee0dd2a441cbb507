"""Lint rules for placeholders in text and for the examples Meta requires for them.

Positional placeholders are ``{{1}}``, ``{{2}}`` … numbered from 1 without gaps, in the order they appear;
named ones are lowercase names (``{{first_name}}``) and need ``parameter_format: NAMED``. Every placeholder
needs an example value: ``example.body_text: [["v1", "v2"]]`` / ``example.header_text: ["v1"]`` when positional,
``example.body_text_named_params`` / ``example.header_text_named_params`` (``[{param_name, example}]``) when named.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aimstors.core.templates.definitions import scan_placeholders
from aimstors.core.templates.findings import Findings

__all__ = ["check_edges", "check_examples", "check_placeholders", "example_value_problem", "plural"]

_ANY_TOKEN = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_SINGLE_BRACES = re.compile(r"(?<!\{)\{\s*[0-9a-z_]+\s*\}(?!\})")
_WORD = re.compile(r"[^\W\d_]{2,}")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _braces(keys: Sequence[str]) -> str:
    return ", ".join("{{" + k + "}}" for k in keys)


def check_placeholders(out: Findings, path: str, text: str, *, where: str, parameter_format: str) -> list[str]:
    """Check the placeholders of ``text`` (the ``where`` of a template, e.g. "body"); returns the valid ones in
    order of first appearance, once each."""
    keys: list[str] = []
    for token in scan_placeholders(text):
        if token.is_valid:
            if token.inner not in keys:
                keys.append(token.inner)
            continue
        inner = token.inner.strip()
        if inner != token.inner and (inner.isdigit() or re.fullmatch(r"[a-z][a-z0-9_]*", inner)):
            message = f"{token.text} has spaces inside the braces: write {{{{{inner}}}}}"
        elif inner.isdigit():
            message = f"{token.text} is not valid: positional placeholders are numbered from {{{{1}}}}"
        else:
            message = (
                f"{token.text} is not a valid placeholder: use {{{{1}}}}, {{{{2}}}} … or a lowercase name such as "
                "{{first_name}} (letters, digits and _ only)"
            )
        out.error(path, "placeholder-syntax", message)
    rest = _ANY_TOKEN.sub("", text)
    if "{{" in rest or "}}" in rest:
        out.error(path, "placeholder-braces", f"unbalanced braces in the {where}: write each placeholder as {{{{1}}}}")
    elif match := _SINGLE_BRACES.search(rest):
        out.warning(
            path,
            "placeholder-single-braces",
            f"{match.group(0)} has single braces and will be sent as written; placeholders take two: {{{{1}}}}",
        )
    positional = [k for k in keys if k.isdigit()]
    named = [k for k in keys if not k.isdigit()]
    if parameter_format == "POSITIONAL" and named:
        out.error(
            path,
            "parameter-format",
            f"{{{{{named[0]}}}}} is a named placeholder but parameter_format is POSITIONAL: "
            "set parameter_format: NAMED, or number the placeholders {{1}}, {{2}} …",
        )
    elif parameter_format == "NAMED" and positional:
        out.error(
            path,
            "parameter-format",
            f"{{{{{positional[0]}}}}} is positional but parameter_format is NAMED: "
            "give it a lowercase name such as {{first_name}}",
        )
    elif parameter_format == "POSITIONAL" and positional:
        _check_numbering(out, path, [int(k) for k in positional], where)
    return keys


def _check_numbering(out: Findings, path: str, numbers: list[int], where: str) -> None:
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    if missing:
        out.error(
            path,
            "placeholder-gap",
            f"{where} uses {{{{{max(numbers)}}}}} but no {_braces([str(n) for n in missing])}: "
            "placeholders must be numbered 1, 2, 3 … without gaps",
        )
        return
    for before, after in itertools.pairwise(numbers):
        if after < before:
            out.error(
                path,
                "placeholder-order",
                f"{{{{{before}}}}} appears before {{{{{after}}}}} in the {where}: "
                "number the placeholders in the order they appear",
            )
            return


def check_edges(out: Findings, path: str, text: str, *, where: str, body: bool = True) -> None:
    """Meta's body rules: no placeholder first or last (2388299), none side by side, not too many for the text.
    A header (``body=False``) is only held to the side-by-side rule."""
    tokens = [t for t in scan_placeholders(text) if t.is_valid]
    if not tokens:
        return
    stripped = text.strip()
    first, last = tokens[0], tokens[-1]
    if body and stripped.startswith(first.text):
        out.error(
            path,
            "placeholder-at-edge",
            f"the {where} starts with {first.text}: Meta rejects templates that start or end with a placeholder "
            "(2388299); put some text before it",
        )
    if body and stripped.endswith(last.text):
        out.error(
            path,
            "placeholder-at-edge",
            f"the {where} ends with {last.text}: Meta rejects templates that start or end with a placeholder "
            "(2388299); end it with some text, e.g. a full stop and a closing sentence",
        )
    for left, right in itertools.pairwise(tokens):
        if not text[left.end : right.start].strip():
            out.error(
                path,
                "placeholder-adjacent",
                f"{left.text} and {right.text} are side by side: Meta rejects adjacent placeholders; "
                "put words between them",
            )
            break
    words = len(_WORD.findall(_ANY_TOKEN.sub(" ", text)))
    if body and words < 2 * len(tokens):
        out.warning(
            path,
            "placeholder-density",
            f"the {where} has {plural(len(tokens), 'placeholder')} in {plural(words, 'word')} of text: Meta "
            "rejects templates with too many placeholders for their length (2388293); add text around them",
        )


def example_value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an example value (None when it can)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "an example value is a string"
    text = str(value)
    if not text.strip():
        return "the example value is empty"
    if "{{" in text or "}}" in text:
        return "an example value is what the customer sees; it holds no placeholders"
    return None


def check_examples(
    out: Findings,
    path: str,
    component: Mapping[str, Any],
    keys: Sequence[str],
    *,
    where: str,
    parameter_format: str,
) -> None:
    """The component's ``example`` gives one value per placeholder, in the shape its parameter format needs."""
    named = parameter_format == "NAMED"
    prefix = "header" if where == "header" else "body"
    want = f"{prefix}_text_named_params" if named else f"{prefix}_text"
    other = f"{prefix}_text" if named else f"{prefix}_text_named_params"
    if named:
        shape = f"{want}: [{{param_name: {keys[0] if keys else 'name'}, example: …}}, …] (one per name)"
    elif where == "header":
        shape = f'{want}: ["…"]'
    else:
        shape = f'{want}: [["value 1", "value 2", …]] (one list, a value per placeholder)'
    ex_path = f"{path}.example"
    example = component.get("example")
    if example is None or (isinstance(example, Mapping) and want not in example and other not in example):
        if keys:
            out.error(
                ex_path,
                "example-missing",
                f"the {where} has {plural(len(keys), 'placeholder')} ({_braces(keys)}) but no example: "
                f"Meta needs a sample value for each; add example.{shape}",
            )
        return
    if not isinstance(example, Mapping):
        out.error(ex_path, "example-type", f"example must be a mapping: example: {{{shape}}}")
        return
    if want not in example:
        out.error(
            f"{ex_path}.{other}",
            "example-format",
            f"parameter_format is {parameter_format}, so the examples go in example.{shape}",
        )
        return
    if not keys:
        out.warning(
            f"{ex_path}.{want}", "example-unused", f"example.{want} is given but the {where} has no placeholders"
        )
        return
    values_path = f"{ex_path}.{want}"
    if named:
        _check_named_examples(out, values_path, example[want], keys, where)
    else:
        _check_positional_examples(out, values_path, example[want], keys, where, shape)


def _check_positional_examples(
    out: Findings, path: str, values: Any, keys: Sequence[str], where: str, shape: str
) -> None:
    if where != "header":
        if not isinstance(values, list) or not values or not all(isinstance(v, list) for v in values):
            out.error(path, "example-shape", f"example.{shape}")
            return
        if len(values) != 1:
            out.error(path, "example-shape", f"give exactly one list of example values, not {len(values)}: {shape}")
            return
        values, path = values[0], f"{path}[0]"
    elif not isinstance(values, list):
        out.error(path, "example-shape", f"example.{shape}")
        return
    if len(values) != len(keys):
        out.error(
            path,
            "example-count",
            f"example has {plural(len(values), 'value')} but the {where} has {plural(len(keys), 'placeholder')}: "
            "give one value per placeholder, in order",
        )
    for index, value in enumerate(values):
        if problem := example_value_problem(value):
            out.error(f"{path}[{index}]", "example-value", problem)


def _check_named_examples(out: Findings, path: str, values: Any, keys: Sequence[str], where: str) -> None:
    if not isinstance(values, list):
        out.error(path, "example-shape", "named examples are a list of {param_name: …, example: …}")
        return
    seen: list[str] = []
    for index, item in enumerate(values):
        item_path = f"{path}[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("param_name"), str):
            out.error(item_path, "example-shape", "each named example is {param_name: name, example: value}")
            continue
        name = item["param_name"]
        if name in seen:
            out.error(item_path, "example-duplicate", f"{{{{{name}}}}} has two example values; give one")
        seen.append(name)
        if problem := example_value_problem(item.get("example")):
            out.error(f"{item_path}.example", "example-value", problem)
    missing = [k for k in keys if k not in seen]
    extra = [n for n in seen if n not in keys]
    if missing:
        out.error(path, "example-count", f"example has no value for {_braces(missing)} of the {where}")
    if extra:
        out.error(path, "example-count", f"example names {_braces(extra)}, which the {where} does not use")
