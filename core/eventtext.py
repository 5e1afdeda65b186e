"""Event messages stored in English and read in the reader's language (issue 22).

The event log keeps one language: an event's `message` is English, as it always was (logs,
`--json` and full-text search stay stable). An event written with a `Msg` also keeps the
sentence's template, a whole-sentence msgid with {named} placeholders, and its values, in its
data (`data["template"]`, `data["plural"]` for a count's sentence, `data["params"]`).
`event_text(message, data)` says it again in the current language at read time:

- the template through the core catalogue (`ngettext` on `params["n"]` for a plural pair);
- values by their placeholder's name: an entity, a document kind or a state is duvi's own
  word and is translated (`entity`, `kind`, `state`, `state_was`); a day, a moment or an
  amount is written as the language writes it (core/reasons.py's rules); a reason, message
  or flag is said again through `core.reasons.reason_text` (a registered sentence in the
  language, anything else, a Visma or DUELL message, verbatim); a nested sentence (a `Msg`
  as a value) is said again the same way; a whole number is grouped as the language groups;
- an event without a template (written before this module, or by a writer that has none) or
  one whose template no longer fits its values is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from core.i18n import _, count_text, current_language, ngettext

# Placeholders whose value is a sentence of its own (a reason, an error's message, a flag)
SENTENCES = frozenset({"reason", "message", "flag", "warning", "why", "problem", "remedy"})


@dataclass(frozen=True)
class Msg:
    """A sentence to log: its template (N_-marked), the plural's when it counts (`params["n"]`
    chooses), and its values. `english()` is the event's message."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None

    def english(self) -> str:
        chosen = self.template
        if self.plural is not None and self.params.get("n") != 1:
            chosen = self.plural
        return chosen.format(**{k: _english(v) for k, v in self.params.items()})

    def stored(self) -> dict[str, Any]:
        """What the event keeps in its data: the template and its values as JSON."""
        out: dict[str, Any] = {"template": self.template}
        if self.plural is not None:
            out["plural"] = self.plural
        out["params"] = {k: _stored(v) for k, v in self.params.items()}
        return out

    def __str__(self) -> str:
        return self.english()


def msg(template: str, /, **params: Any) -> Msg:
    """A logged sentence: `log.info(msg(N_("{key} released in Visma ({number})"), key=k,
    number=n))`."""
    return Msg(template, params)


def plural_msg(singular: str, plural: str, /, **params: Any) -> Msg:
    """A logged sentence with a count (`n`): both forms extracted as one plural entry."""
    return Msg(singular, params, plural)


def _english(value: Any) -> str:
    if type(value) is str:  # the common case first: an event is logged in a hot loop
        return value
    if isinstance(value, Msg):
        return value.english()
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    english = getattr(value, "english", None)  # core.i18n.Said: its English
    return english if isinstance(english, str) else str(value)


def _stored(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, Msg):
        return value.stored()
    msgid = getattr(value, "msgid", None)  # core.i18n.Said: its template, said again
    if isinstance(msgid, str):
        return Msg(msgid, getattr(value, "params", {})).stored()
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return _english(value)


TEMPLATE_KEYS = ("template", "plural", "params")


def own_data(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An event's data without its sentence's template and values (what the console's detail
    pane shows below the sentence); None when nothing else is left."""
    if not data:
        return None
    rest = {k: v for k, v in data.items() if k not in TEMPLATE_KEYS}
    return rest or None


def event_text(message: str, data: Mapping[str, Any] | None) -> str:
    """An event's message in the current language (module docstring); as stored in English,
    or when it has no template."""
    if current_language() == "en" or not data or not isinstance(data.get("template"), str):
        return message
    try:
        return _said(data)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return message  # a template that no longer fits its values: the stored English


def _said(spec: Mapping[str, Any]) -> str:
    params = spec.get("params") or {}
    plural = spec.get("plural")
    if isinstance(plural, str):
        text = ngettext(spec["template"], plural, int(params["n"]))
    else:
        text = _(spec["template"])
    return text.format(**{k: _shown(k, v) for k, v in params.items()})


def _shown(name: str, value: Any) -> str:
    from core.readmodels import entity_text, kind_text, state_text
    from core.reasons import reason_text, value_text

    if isinstance(value, Mapping) and isinstance(value.get("template"), str):
        return _said(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):  # a count, grouped as the language groups (an id as it is)
        return str(value) if name.endswith("id") else count_text(value)
    if not isinstance(value, str):
        return str(value)
    if name == "entity":
        return entity_text(value)
    if name == "kind":
        return kind_text(value)
    if name in ("state", "state_was"):
        return state_text(value)
    if name in SENTENCES:
        return reason_text(value)
    if name == "field":
        from core.conflicts import field_label

        return field_label(value)
    return value_text(name, value)


def template_key(template: str) -> int:
    """The number an event's template is found by (the `events.template_key` column and its
    index): 63 bits of its BLAKE2b digest, the same in every process and in the migration that
    fills the column for events written before it."""
    from hashlib import blake2b

    return int.from_bytes(blake2b(template.encode(), digest_size=8).digest(), "big") >> 1


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def _said_templates(lang: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Each template of core's catalogue in `lang`: its key, and what a reader sees of it in
    every form (its placeholders blanked, casefolded), read once per language."""
    from babel.messages.mofile import read_mo

    from core.i18n import DOMAIN, LOCALE_DIR

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.exists():
        return ()
    with path.open("rb") as f:
        catalog = read_mo(f)
    out = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        shown = tuple(" ".join(_PLACEHOLDER.sub("\0", s).split()).casefold() for s in forms if s)
        if shown:
            out.append((template_key(ids[0]), shown))
    return tuple(out)


def templates_saying(text: str) -> tuple[int, ...]:
    """The keys of the templates whose sentence in the current language contains `text`
    (case-insensitive; a placeholder's value is not the template's: the stored English holds
    it, searched by full text): what the log's search looks for beside the English, so that a
    word a reader sees in Norwegian finds its events. None in English, where the stored message
    is what the reader sees."""
    lang = current_language()
    wanted = " ".join(text.split()).casefold()
    if lang == "en" or not wanted:
        return ()
    return tuple(key for key, forms in _said_templates(lang) if any(wanted in f for f in forms))


def values_saying(text: str) -> tuple[str, ...]:
    """duvi's own words among an event's values (an entity, a document kind, a state: stored
    in English, said in the language) whose word in the current language contains `text`,
    as stored: the log's search looks for them in the stored English as well (nb `varer`
    finds "products failed"). None in English."""
    from core.readmodels import _ENTITY_WORDS, _KIND_WORDS, _STATE_WORDS

    wanted = " ".join(text.split()).casefold()
    if current_language() == "en" or not wanted:
        return ()
    found = {
        stored
        for words in (_ENTITY_WORDS, _KIND_WORDS, _STATE_WORDS)
        for stored, word in words.items()
        if wanted in _(word).casefold()
    }
    return tuple(sorted(found))
