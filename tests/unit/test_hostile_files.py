"""Hostile YAML files: alias bombs, oversized input, duplicate keys, too many journeys or steps."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.journeys.loader import JourneyFileError, parse_journeys
from incident_core.policy.model import PolicyFileError, parse_policy
from incident_core.yaml_safe import YamlInputError, YamlLimits, load_yaml


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes that expand to width**levels values (the "billion laughs")."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


JOURNEY = """
  - name: {name}
    steps:
{steps}"""
STEP = """      - name: step {n}
        request: {{method: GET, url: "https://shop.example.com/{n}"}}
"""


def journeys_file(journeys: int, steps: int = 1) -> str:
    body = "".join(
        JOURNEY.format(name=f"j-{i}", steps="".join(STEP.format(n=n) for n in range(steps)))
        for i in range(journeys)
    )
    return "journeys:" + body + "\n"


@pytest.mark.timeout(20)  # the old loader ran out of memory instead: a safety net, not a speed test
def test_an_alias_bomb_in_the_journeys_file_is_refused():
    bomb = alias_bomb() + "journeys: [{name: x, steps: *a8}]\n"
    assert len(bomb) < 1000
    with pytest.raises(JourneyFileError, match="CONFIG_MAX_NODES"):
        parse_journeys(bomb, "journeys.yaml")


@pytest.mark.timeout(20)
def test_an_alias_bomb_in_the_policy_file_is_refused():
    bomb = alias_bomb() + "people: {x: {name: *a8, slack: U0X}}\nalways_alerted: [x]\n"
    with pytest.raises(PolicyFileError, match="CONFIG_MAX_NODES"):
        parse_policy(bomb, "policy.yaml")


def test_oversized_input_is_refused_before_parsing():
    text = "journeys: []\n" + "# padding\n" * 200_000
    with pytest.raises(JourneyFileError, match="over the limit of 1000000 \\(CONFIG_MAX_BYTES\\)"):
        parse_journeys(text, "journeys.yaml")


def test_limits_are_configurable(monkeypatch):
    monkeypatch.setenv("CONFIG_MAX_ALIASES", "2")
    with pytest.raises(YamlInputError, match="more than 2 aliases"):
        load_yaml("a: &x 1\nb: [*x, *x, *x]\n", "f.yaml")
    monkeypatch.setenv("CONFIG_MAX_JOURNEYS", "3")
    with pytest.raises(JourneyFileError, match="4 journeys, over the limit of 3"):
        parse_journeys(journeys_file(4), "journeys.yaml")
    monkeypatch.setenv("CONFIG_MAX_STEPS", "2")
    with pytest.raises(JourneyFileError, match="3 steps, over the limit of 2"):
        parse_journeys(journeys_file(1, steps=3), "journeys.yaml")


def test_ten_thousand_journeys_are_refused():
    compact = "journeys:\n" + "".join(
        f"- {{name: j-{i}, steps: [{{name: s, request: {{url: 'https://shop.example.com/'}}}}]}}\n"
        for i in range(10_000)
    )
    with pytest.raises(JourneyFileError, match="10000 journeys, over the limit of 200"):
        parse_journeys(compact, "journeys.yaml")


def test_duplicate_keys_are_an_error_not_last_wins():
    text = journeys_file(1).replace("  - name: j-0\n", "  - name: j-0\n    name: j-1\n")
    with pytest.raises(JourneyFileError, match="duplicate key 'name' \\(first given on line 2\\)"):
        parse_journeys(text, "journeys.yaml")
    policy = "people: {a: {name: A, slack: U0A}}\nalways_alerted: [a]\nalways_alerted: []\n"
    with pytest.raises(PolicyFileError, match="duplicate key 'always_alerted'"):
        parse_policy(policy, "policy.yaml")


def test_merge_keys_may_still_be_overridden():
    text = "base: &b {a: 1, b: 2}\nthing:\n  <<: *b\n  b: 3\n"
    assert load_yaml(text, "f.yaml")["thing"] == {"a": 1, "b": 3}


def test_a_recursive_alias_is_refused():
    with pytest.raises(YamlInputError, match="recursive"):
        load_yaml("a: &a [1, *a]\n", "f.yaml")


# ---------------------------------------------------------------------- properties
keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(documents)
def test_any_document_without_duplicates_reads_as_pyyaml_reads_it(document):
    text = yaml.safe_dump(document, allow_unicode=True)
    assert load_yaml(text, "f.yaml") == yaml.safe_load(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_a_clear_error(text):
    try:
        load_yaml(text, "f.yaml", YamlLimits(max_bytes=1000, max_aliases=5, max_nodes=100))
    except YamlInputError as error:
        assert str(error).startswith("f.yaml")


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=2, max_value=12), st.integers(min_value=2, max_value=9))
def test_bombs_of_any_shape_are_refused(levels, width):
    limits = YamlLimits(max_nodes=10_000)
    text = alias_bomb(levels, width)
    expanded = sum(width**level for level in range(1, levels + 1))
    if expanded > limits.max_nodes + levels * width:
        with pytest.raises(YamlInputError):
            load_yaml(text, "f.yaml", limits)
