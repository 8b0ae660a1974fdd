"""What Slack refuses in a message or a view, as the fake Slack checks it.

Blocks are parsed with slack_sdk's own Block Kit models (slack_sdk.models.blocks / views), whose
validators carry Slack's documented element limits (section text 3,000 characters, header 150, button
text 75, block_id 255, ...). On top of them, the limits the models do not check: 50 blocks in a message
and 100 in a view, 40,000 characters of message text, no unknown block types or fields, no empty text.

Each check answers with the error code Slack documents for the method (`invalid_blocks`,
`msg_too_long`, `no_text`, ...) and a reason naming what is wrong, or None when Slack would accept it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000


@dataclass(frozen=True)
class Refusal:
    error: str  # Slack's documented error code
    reason: str  # what is wrong, where (a JSON pointer as Slack's `response_metadata.messages` gives)

    def body(self) -> dict[str, Any]:
        return {
            "ok": False,
            "error": self.error,
            "response_metadata": {"messages": [f"[ERROR] {self.reason}"]},
        }


def check_message(args: dict[str, Any], *, text_required: bool = True) -> Refusal | None:
    """A chat.postMessage / chat.update / chat.postEphemeral / response_url payload."""
    text = args.get("text")
    blocks = args.get("blocks")
    if text is not None and not isinstance(text, str):
        return Refusal("invalid_arguments", "text must be a string [json-pointer:/text]")
    if text and len(text) > MAX_MESSAGE_TEXT:
        return Refusal("msg_too_long", f"text is {len(text)} characters; at most {MAX_MESSAGE_TEXT}")
    if blocks is not None:
        refusal = check_blocks(blocks, MAX_MESSAGE_BLOCKS, "/blocks")
        if refusal:
            return refusal
    # Stricter than Slack on purpose: chat.postMessage's reference says `text` is "not enforced" with
    # blocks but "highly recommended" (notifications then read "This content can't be displayed" and
    # screen readers read only `text`), so the fake refuses it, as Slack refuses a message with neither.
    if text_required and not text:
        what = "blocks without a `text` fallback" if blocks else "neither text nor blocks"
        return Refusal("no_text", f"{what} [json-pointer:/text]")
    return None


def check_view(view: Any) -> Refusal | None:
    """A views.open / views.publish / views.update / views.push `view`."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    if not isinstance(view, dict):
        return Refusal("invalid_arguments", "view must be a JSON object [json-pointer:/view]")
    refusal = check_blocks(view.get("blocks"), MAX_VIEW_BLOCKS, "/view/blocks")
    if refusal:
        return refusal
    try:
        View(**view).to_dict()  # title (24 characters), type, submit ...
    except (SlackObjectFormationError, TypeError, ValueError) as error:
        return Refusal("invalid_arguments", f"{error} [json-pointer:/view]")
    return None


def check_blocks(blocks: Any, limit: int, pointer: str) -> Refusal | None:
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(blocks, list):
        return Refusal("invalid_blocks_format", f"blocks must be an array [json-pointer:{pointer}]")
    if len(blocks) > limit:
        return Refusal(
            "invalid_blocks", f"{len(blocks)} blocks; no more than {limit} allowed [json-pointer:{pointer}]"
        )
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict):
            return Refusal("invalid_blocks", f"a block must be an object [json-pointer:{where}]")
        try:
            parsed = Block.parse(block)
            if parsed is None:
                return Refusal(
                    "invalid_blocks", f"unsupported type {block.get('type')!r} [json-pointer:{where}]"
                )
            # to_dict() runs every nested element's validators (text lengths, element counts).
            known = parsed.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as error:
            return Refusal("invalid_blocks", f"{error} [json-pointer:{where}]")
        problem = _unknown_or_empty(block, known, where)
        if problem:
            return Refusal("invalid_blocks", problem)
    return None


def _unknown_or_empty(given: Any, known: Any, where: str) -> str | None:
    """A field the model does not know (Slack: "must not have additional properties"), or empty text."""
    if isinstance(given, dict):
        if given.get("type") in ("plain_text", "mrkdwn") and not given.get("text"):
            return f"text must be more than 0 characters [json-pointer:{where}/text]"
        for key, value in given.items():
            if not isinstance(known, dict) or key not in known:
                if value in (None, [], {}):  # slack_sdk drops empty values; Slack ignores them too
                    continue
                return f"unknown field {key!r} [json-pointer:{where}/{key}]"
            problem = _unknown_or_empty(value, known[key], f"{where}/{key}")
            if problem:
                return problem
    elif isinstance(given, list) and isinstance(known, list):
        for index, (item, known_item) in enumerate(zip(given, known, strict=False)):
            problem = _unknown_or_empty(item, known_item, f"{where}/{index}")
            if problem:
                return problem
    return None
