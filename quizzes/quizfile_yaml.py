"""YAML node helpers for the quiz reader: line numbers, scalars as written, duplicate keys, value checks."""

from __future__ import annotations

from typing import Any

import yaml

from quizzes.quizfile_model import Problem, QuizFileError

_NULL_TAG = "tag:yaml.org,2002:null"


def _line(node: yaml.Node | None) -> int:
    """Return the 1-based line where a node starts."""
    return node.start_mark.line + 1 if node is not None else 1


def _items(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Map a mapping node's scalar keys to (key node, value node); the last duplicate wins, as in PyYAML."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _text(node: yaml.Node | None, constructed: Any) -> Any:
    """Return a scalar exactly as written (None for null), or the constructed value for non-scalars."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    return constructed


def _text_list(node: yaml.Node | None, constructed: Any) -> Any:
    """Return a list of scalars as written; a lone scalar becomes a one-item list."""
    if isinstance(node, yaml.SequenceNode) and isinstance(constructed, list):
        return [_text(n, v) for n, v in zip(node.value, constructed, strict=True)]
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL_TAG:
        return [node.value]
    return constructed


def _duplicate_keys(node: yaml.Node, filename: str, problems: list[Problem], seen: set[int]) -> None:
    """Report keys given twice in one mapping: YAML keeps only the last, which silently loses data."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    problems.append(Problem(filename, _line(key), f"key {key.value!r} appears twice"))
                keys.add(key.value)
            _duplicate_keys(value, filename, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, filename, problems, seen)


def _load(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    """Compose and construct the document, turning a YAML syntax error into a located problem."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise QuizFileError([Problem(filename, line, f"invalid YAML: {reason}")]) from None
    finally:
        loader.dispose()
    return node, data


def _is_number(value: Any) -> bool:
    """Tell whether a YAML value is a real number (booleans are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _blank(value: Any) -> bool:
    """Tell whether a required text is missing or empty."""
    return value is None or (isinstance(value, str) and not value.strip())
