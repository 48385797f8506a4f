"""Text as people type it, made safe for every later stage (tokenizer, regular expressions, logs).

``clean_question`` is applied where a question enters: the CLI, Slack and the
start of ``understand``. It never raises and never drops a readable character:

- lone surrogates (an invalid UTF-8 byte decoded by the shell or a JSON body)
  and Unicode non-characters become U+FFFD; a surrogate pair becomes its character;
- NUL and other control characters become a space (tab and newline stay);
- zero-width and bidirectional formatting characters are removed;
- the text is NFC-normalised and its ends stripped.

>>> clean_question("Is holmium \\udcff controlled?")
'Is holmium \\ufffd controlled?'
>>> clean_question("dys\\u200bprosium\\x00 oxide\\r\\n")
'dysprosium  oxide'
>>> clean_question("Cafe\\u0301") == "Caf\\u00e9"
True
"""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
# zero-width characters, the soft hyphen, the byte-order mark and the bidirectional controls
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]|[\U0001fffe\U0001ffff\U0010fffe\U0010ffff]")
SEPARATOR = re.compile("[\u2028\u2029\u0085]|\r\n?")


def clean_question(text: str) -> str:
    """The question with every character a tokenizer or a log cannot take replaced or removed."""
    if not isinstance(text, str):
        raise TypeError(f"a question is text, got {type(text).__name__}")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = SEPARATOR.sub("\n", text)
    text = CONTROL.sub(" ", text)
    text = INVISIBLE.sub("", text)
    text = NONCHARACTER.sub(REPLACEMENT, text)
    return unicodedata.normalize("NFC", text).strip()
