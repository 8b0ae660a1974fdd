"""Reading the suite's YAML files (journeys, policy) safely: input that would exhaust memory or time is
refused before it is built, and a key given twice is an error rather than last-wins.

PyYAML shares one object per anchor, so an alias bomb (a few hundred bytes of nested `*a` references)
loads small, but everything that walks it afterwards (variable filling, validation, dumping) sees the
fully expanded tree: billions of nodes. So the composed node graph is measured first, as expanded, and
refused over `max_nodes`. Limits (docs/journeys.md#limits) can be changed with environment variables:
CONFIG_MAX_BYTES, CONFIG_MAX_ALIASES, CONFIG_MAX_NODES.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class YamlInputError(ValueError):
    """The YAML text is refused; the message names the source and the limit or the problem (and line)."""


@dataclass(frozen=True)
class YamlLimits:
    max_bytes: int = 1_000_000
    max_aliases: int = 1_000
    max_nodes: int = 200_000  # scalars, lists and mappings, counted as if every alias were copied

    @classmethod
    def from_env(cls, environ: Any = None) -> YamlLimits:
        environ = os.environ if environ is None else environ
        defaults = cls()
        values = {}
        for field, name in (
            ("max_bytes", "CONFIG_MAX_BYTES"),
            ("max_aliases", "CONFIG_MAX_ALIASES"),
            ("max_nodes", "CONFIG_MAX_NODES"),
        ):
            raw = environ.get(name)
            try:
                values[field] = int(raw) if raw else getattr(defaults, field)
            except ValueError:
                raise YamlInputError(f"{name}={raw!r} is not a whole number") from None
        return cls(**values)


def _loader_class() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: much faster

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` may be overridden
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.get(key)
                    except TypeError:  # an unhashable key: PyYAML reports it itself
                        continue
                    if first is not None:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            f"duplicate key {key!r} (first given on line {first + 1})",
                            key_node.start_mark,
                        )
                    seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep)

    return StrictLoader


def _measure(root: Any, limits: YamlLimits, source: str) -> None:
    """Count nodes as expanded (an alias counts its whole subtree again), refusing over the limits."""
    import yaml

    sizes: dict[int, int] = {}
    in_progress: set[int] = set()  # the ancestors of the node being walked
    aliases = 0
    # Iterative post-order walk: linear in the distinct nodes, and a deep file cannot exhaust the stack.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node, yaml))
            if sizes[key] > limits.max_nodes:
                raise YamlInputError(
                    f"{source}: expands to more than {limits.max_nodes} values once its aliases are "
                    "copied (an alias bomb?); limit CONFIG_MAX_NODES"
                )
        elif key in sizes:
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlInputError(
                    f"{source}: more than {limits.max_aliases} aliases (*name); limit CONFIG_MAX_ALIASES"
                )
        elif key in in_progress:
            raise YamlInputError(f"{source}: an alias refers to the node that contains it (recursive)")
        else:
            in_progress.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node, yaml)))


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(text: str | bytes, source: str, limits: YamlLimits | None = None) -> Any:
    """The document in `text`, or YamlInputError naming `source` and what is wrong."""
    import yaml

    limits = limits or YamlLimits.from_env()
    size = len(text.encode() if isinstance(text, str) else text)
    if size > limits.max_bytes:
        raise YamlInputError(
            f"{source}: {size} bytes, over the limit of {limits.max_bytes} (CONFIG_MAX_BYTES)"
        )
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, limits, source)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise YamlInputError(f"{source}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise YamlInputError(f"{source}: nested too deeply") from None
    finally:
        loader.dispose()
