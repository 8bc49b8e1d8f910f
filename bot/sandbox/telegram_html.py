"""A strict re-implementation of Telegram's ``parse_mode="HTML"`` parser.

Why it exists: a message with a stray ``<`` or an unsupported tag is refused by Telegram
with "can't parse entities", and the person then sees nothing at all. The fake Telegram runs
every HTML text through this parser so such a bug fails a test instead of a real delivery.

The structure follows Telegram's own parser (tdlib ``parse_html``), including its error
wording, so the errors read like the real ones. It is deliberately *stricter* than Telegram in
three places, because in each case Telegram silently shows something the author did not mean:

* a bare ``&`` (or an entity without its ``;``) is refused; Telegram shows it literally;
* a bare ``>`` is refused; Telegram shows it literally;
* named entities other than ``&lt; &gt; &amp; &quot;`` (e.g. ``&nbsp;``) are refused;
  Telegram shows them literally, e.g. the five characters "&nbsp;".

All three mean a value was interpolated without ``html.escape``.
It is also stricter about ``<a>`` (``href`` is required) and ``<tg-emoji>`` (a numeric
``emoji-id`` is required at the start tag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "Entity",
    "FormattedText",
    "HtmlParseError",
    "html_to_plain",
    "parse_html",
    "utf16_len",
]

#: Tag name -> Bot API entity type. ``span`` needs ``class="tg-spoiler"``; ``a`` needs href.
_TAG_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}

_NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SPACES = frozenset(" \t\r\n\v\f")
_TAG_NAME_END = _SPACES | {">", ""}
_ATTRIBUTE_NAME_END = _SPACES | {"=", ">", ""}
_TOKEN_END = _SPACES | {">"}
_NUMERIC_ENTITY = re.compile(r"#(?:x([0-9a-fA-F]{1,8})|([0-9]{1,10}))")
#: How far to look for the ``;`` of an entity; the longest valid one is "&#x10FFFF;".
_MAX_ENTITY_BODY = 16

_MAX_CODE_POINT = 0x10FFFF


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


@dataclass(frozen=True)
class Entity:
    """One formatting span of a message, as the Bot API reports it (UTF-16 offsets)."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Bot API ``MessageEntity`` dict, so PTB can rebuild ``text_html`` etc."""
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        if self.language is not None:
            data["language"] = self.language
        if self.custom_emoji_id is not None:
            data["custom_emoji_id"] = self.custom_emoji_id
        return data


@dataclass(frozen=True)
class FormattedText:
    """Plain text plus entities: what a parsed HTML message turns into."""

    text: str
    entities: tuple[Entity, ...] = field(default=())

    def strip(self) -> FormattedText:
        """Drop leading/trailing whitespace the way Telegram does, keeping entities aligned."""
        stripped = self.text.strip()
        if stripped == self.text:
            return self
        lead = utf16_len(self.text[: len(self.text) - len(self.text.lstrip())])
        total = utf16_len(stripped)
        entities: list[Entity] = []
        for entity in self.entities:
            start = max(entity.offset - lead, 0)
            end = min(entity.offset + entity.length - lead, total)
            if end > start:
                entities.append(replace(entity, offset=start, length=end - start))
        return FormattedText(stripped, tuple(entities))


class HtmlParseError(ValueError):
    """Telegram would answer "can't parse entities: <str(error)>".

    ``str(error)`` is the whole reason in Telegram's words, including "at byte offset N" when
    Telegram gives one; ``byte_offset`` is that N (UTF-8 bytes into the source), for tests.
    """

    def __init__(self, reason: str, byte_offset: int | None = None) -> None:
        super().__init__(reason)
        self.byte_offset = byte_offset


def html_to_plain(text: str) -> str:
    """What the person reads for ``text`` sent with ``parse_mode="HTML"``.

    Raises:
        HtmlParseError: (a ``ValueError``) if Telegram - or this stricter twin - refuses it.
    """
    return parse_html(text).text


def parse_html(text: str) -> FormattedText:
    """Parse Telegram HTML into plain text and entities, refusing what Telegram refuses."""
    return _HtmlParser(text).run()


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    argument: str
    utf16_start: int


class _HtmlParser:
    """Single pass over the source, mirroring tdlib's loop so errors match its wording."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    # -- helpers -------------------------------------------------------------------------

    def _byte_offset(self, index: int) -> int:
        """Telegram reports positions in UTF-8 bytes of the source."""
        return len(self.src[:index].encode("utf-8"))

    def _error(self, reason: str, index: int) -> HtmlParseError:
        offset = self._byte_offset(index)
        return HtmlParseError(f"{reason} at byte offset {offset}", offset)

    def _char(self, index: int) -> str:
        """The character at ``index`` or "" past the end (tdlib's NUL terminator)."""
        return self.src[index] if index < len(self.src) else ""

    def _skip_spaces(self) -> None:
        while self._char(self.pos) in _SPACES:
            self.pos += 1

    def _emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    # -- main loop -----------------------------------------------------------------------

    def run(self) -> FormattedText:
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "&":
                self._emit(self._decode_entity())
            elif char == ">":
                raise self._error('Character ">" must be escaped as "&gt;"', self.pos)
            elif char != "<":
                self._emit(char)
                self.pos += 1
            elif self._char(self.pos + 1) == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            name = self.stack[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        # A language only survives on ``pre``; a lone ``<code class="language-x">`` drops it.
        entities = [replace(e, language=None) if e.type == "code" else e for e in self.entities]
        entities.sort(key=lambda e: (e.offset, -e.length))
        return FormattedText("".join(self.out), tuple(entities))

    # -- entities (&...;) ----------------------------------------------------------------

    def _decode_entity(self) -> str:
        """Decode the ``&...;`` at ``pos``; strict about ``;`` and the allowed names."""
        start = self.pos
        end = self.src.find(";", start, start + _MAX_ENTITY_BODY)
        body = self.src[start + 1 : end] if end != -1 else ""
        char = _entity_char(body) if end != -1 else None
        if char is None:
            if body.isascii() and body.isalpha():
                raise self._error(f'Unsupported HTML entity "&{body};"', start)
            if body.startswith("#") and body[1:].isalnum():
                raise self._error(f'Invalid numeric HTML entity "&{body};"', start)
            raise self._error('Character "&" must be escaped as "&amp;"', start)
        self.pos = end + 1
        return char

    # -- start tags ----------------------------------------------------------------------

    def _start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        while self._char(self.pos) not in _TAG_NAME_END:
            self.pos += 1
        if self._char(self.pos) == "":
            raise self._error("Unclosed start tag", begin)
        name = self.src[begin + 1 : self.pos].lower()
        if name not in _TAG_ENTITY_TYPES:
            raise self._error(f'Unsupported start tag "{name}"', begin)
        attributes = self._attributes(name, begin)
        self.pos += 1  # the ">"
        argument = _tag_argument(name, attributes)
        problem = _start_tag_problem(name, attributes, argument)
        if problem is not None:
            raise self._error(problem, begin)
        self.stack.append(_OpenTag(name, argument, self.utf16))

    def _attributes(self, tag: str, begin: int) -> dict[str, str]:
        """Read ``name=value`` pairs up to ``>``; unknown attributes are ignored like tdlib."""
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self._char(self.pos) == ">":
                return attributes
            name_start = self.pos
            while self._char(self.pos) not in _ATTRIBUTE_NAME_END:
                self.pos += 1
            name = self.src[name_start : self.pos].lower()
            if not name:
                raise self._error(f'Empty attribute name in the tag "{tag}"', begin)
            self._skip_spaces()
            if self._char(self.pos) == "":
                raise self._error(f'Unclosed start tag "{tag}"', begin)
            if self._char(self.pos) != "=":
                if tag == "blockquote" and name == "expandable":
                    attributes[name] = ""
                    continue
                raise self._error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"',
                    begin,
                )
            self.pos += 1
            self._skip_spaces()
            if self._char(self.pos) == "":
                raise self._error(f'Unclosed start tag "{tag}"', begin)
            attributes[name] = self._attribute_value(begin)

    def _attribute_value(self, begin: int) -> str:
        quote = self._char(self.pos)
        if quote not in {'"', "'"}:
            token_start = self.pos
            while self._char(self.pos).isalnum() or self._char(self.pos) in {".", "-"}:
                self.pos += 1
            if self._char(self.pos) not in _TOKEN_END:
                raise self._error("Unexpected end of name token", token_start)
            return self.src[token_start : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while self._char(self.pos) not in {quote, ""}:
            if self.src[self.pos] == "&":
                value.append(self._decode_entity())
            else:
                value.append(self.src[self.pos])
                self.pos += 1
        if self._char(self.pos) == "":
            raise self._error("Unclosed start tag", begin)
        self.pos += 1
        return "".join(value)

    # -- end tags ------------------------------------------------------------------------

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise self._error("Unexpected end tag", begin)
        self.pos += 2
        name_start = self.pos
        while self._char(self.pos) not in _TAG_NAME_END:
            self.pos += 1
        name = self.src[name_start : self.pos].lower()
        self._skip_spaces()
        if self._char(self.pos) != ">":
            raise self._error("Unclosed end tag", begin)
        self.pos += 1
        open_tag = self.stack.pop()
        if name and name != open_tag.name:
            offset = self._byte_offset(begin)
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {offset}, "
                f'expected "</{open_tag.name}>", found "</{name}>"',
                offset,
            )
        self._close(open_tag)

    def _close(self, tag: _OpenTag) -> None:
        """Turn a closed tag into an entity; zero-length spans vanish, as in Telegram."""
        length = self.utf16 - tag.utf16_start
        if length == 0:
            return
        entity_type = _TAG_ENTITY_TYPES[tag.name]
        entity = Entity(entity_type, tag.utf16_start, length)
        if entity_type == "text_link":
            entity = replace(entity, url=tag.argument)
        elif entity_type == "custom_emoji":
            entity = replace(entity, custom_emoji_id=tag.argument)
        elif tag.name == "code" and tag.argument:
            entity = replace(entity, language=tag.argument)
        elif tag.name == "blockquote" and tag.argument == "expandable":
            entity = replace(entity, type="expandable_blockquote")
        elif tag.name == "pre":
            entity = self._merge_code_into_pre(entity)
        self.entities.append(entity)

    def _merge_code_into_pre(self, pre: Entity) -> Entity:
        """``<pre><code class="language-x">`` is one ``pre`` entity with a language."""
        for index, inner in enumerate(self.entities):
            same_span = (inner.offset, inner.length) == (pre.offset, pre.length)
            if inner.type == "code" and same_span and inner.language:
                del self.entities[index]
                return replace(pre, language=inner.language)
        return pre


def _entity_char(body: str) -> str | None:
    """The character an entity body (between ``&`` and ``;``) stands for, or None."""
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body]
    match = _NUMERIC_ENTITY.fullmatch(body)
    if match is None:
        return None
    hex_digits, decimal_digits = match.groups()
    code_point = int(hex_digits, 16) if hex_digits else int(decimal_digits)
    if code_point == 0 or code_point > _MAX_CODE_POINT or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point)


def _tag_argument(tag: str, attributes: dict[str, str]) -> str:
    """The one attribute each tag cares about (href, emoji-id, language, spoiler class)."""
    if tag == "a":
        return attributes.get("href", "")
    if tag == "tg-emoji":
        return attributes.get("emoji-id", "")
    if tag == "code":
        css = attributes.get("class", "")
        return css.removeprefix("language-") if css.startswith("language-") else ""
    if tag == "span":
        css = attributes.get("class", "")
        return css.removeprefix("tg-") if css.startswith("tg-") else ""
    if tag == "blockquote" and "expandable" in attributes:
        return "expandable"
    return ""


def _start_tag_problem(tag: str, attributes: dict[str, str], argument: str) -> str | None:
    """Why a syntactically fine start tag is still refused, or None."""
    if tag == "span" and argument != "spoiler":
        return 'Tag "span" must have class "tg-spoiler"'
    if tag == "a" and "href" not in attributes:
        return 'Tag "a" must have attribute "href"'
    if tag == "tg-emoji" and not (argument.isdigit() and int(argument) > 0):
        return "Invalid custom emoji identifier specified"
    return None
