"""The fake Slack's channels as a person would read them in Slack, as plain text for a terminal.

Block Kit is flattened the way Slack's client shows it: headers and sections as text, context lines
dimmed into brackets, buttons as [Label], dividers as a rule; mentions become @Name and links
`<url|label>` become `label (url)`. Thread replies are indented under their root.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
WIDTH = 100
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_DATE = re.compile(r"<!date\^(\d+)\^[^|]*\|([^>]*)>")


def plain(text: str, people: Mapping[str, str]) -> str:
    text = _MENTION.sub(lambda m: "@" + people.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(2), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return _BARE_LINK.sub(lambda m: m.group(1), text)


def _text_of(element: Any) -> str:
    if isinstance(element, dict):
        if "text" in element:
            return _text_of(element["text"])
        if element.get("type") == "image":
            return f"[image: {element.get('alt_text', '')}]"
        return ""
    return str(element or "")


def _rich_text(block: dict) -> str:
    parts: list[str] = []
    for section in block.get("elements", []):
        for element in section.get("elements", []):
            if element.get("type") == "user":
                parts.append(f"<@{element['user_id']}>")
            elif element.get("type") == "link":
                parts.append(element.get("text") or element.get("url", ""))
            else:
                parts.append(element.get("text", ""))
    return "".join(parts)


def block_lines(blocks: list[dict]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text_of(block).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text_of(block).splitlines())
            for field in block.get("fields", []):
                lines.extend(_text_of(field).splitlines())
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                lines.append(f"[{_text_of(accessory)}]")
        elif kind == "context":
            lines.append("(" + "  ".join(_text_of(e) for e in block.get("elements", [])) + ")")
        elif kind == "actions":
            lines.append("  ".join(f"[{_text_of(e)}]" for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "rich_text":
            lines.extend(_rich_text(block).splitlines())
    return lines


def message_text(message: dict, people: Mapping[str, str]) -> str:
    lines = block_lines(message["blocks"]) if message.get("blocks") else message.get("text", "").splitlines()
    return plain("\n".join(lines), people)


def when(ts: str) -> str:
    return datetime.fromtimestamp(float(ts), UTC).astimezone(LONDON).strftime("%a %d %b %H:%M")


def render_message(message: dict, people: Mapping[str, str], indent: str = "") -> str:
    author = (
        people.get(message.get("user", ""), "incident-suite (app)")
        if not message.get("bot_id")
        else ("incident-suite (app)")
    )
    edited = "  (edited)" if message.get("edited") else ""
    head = f"{indent}{author}  {when(message['ts'])}{edited}"
    body_lines = []
    for line in message_text(message, people).splitlines() or [""]:
        wrapped = textwrap.wrap(line, WIDTH - len(indent) - 2) or [""]
        body_lines.extend(f"{indent}  {piece}" for piece in wrapped)
    return "\n".join([head, *body_lines])


def render_channel(messages: list[dict], people: Mapping[str, str], title: str) -> str:
    """A channel with its threads: roots in order, each followed by its replies, indented."""
    roots = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
    out = [f"== {title} " + "=" * max(0, WIDTH - len(title) - 4)]
    for root in roots:
        out.append(render_message(root, people))
        replies = [m for m in messages if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]
        for reply in replies:
            out.append(render_message(reply, people, indent="    | "))
        out.append("")
    return "\n".join(out)
