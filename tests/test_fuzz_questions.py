"""Property: any text asked ends in a clear LodestoneError or a valid Answer, never an unhandled exception.

Seeded (derandomize) and bounded (a fixed number of examples), so a run is repeatable and short."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from assistant.errors import LodestoneError
from assistant.schema import Answer
from assistant.textinput import clean_question

BOUNDED = settings(
    max_examples=40,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, within the time bound
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

WORDS = ["holmium", "dysprosium", "No. 61", "2025年第57号", "镝", "licence", "magnets", "Germany", "1C902.a", "?"]
NASTY = ["\x00", "\udcff", "\ud800", "\u200b", "\u202e", "\ufeff", "\x1b[2J", "\r\n", "\ufffe", "\U0010ffff", "\x85"]

questions = st.one_of(
    st.text(max_size=300),  # every code point, lone surrogates included
    st.lists(st.sampled_from(WORDS + NASTY) | st.text(max_size=8), max_size=40).map(" ".join),
    st.builds(lambda w, n: (w + " ") * n, st.sampled_from(WORDS + NASTY), st.integers(1, 2500)),  # up to ~10k chars
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"]), max_size=50),
    st.text(alphabet="镝铽钬第号公告年出口管制许可证稀土 holmium?1C902", max_size=60),
)


def ends_well(engine, question: str) -> None:
    try:
        answer = engine.ask(question)
    except LodestoneError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert isinstance(answer, Answer)
    assert isinstance(answer.answer, str) and answer.answer.strip()
    answer.answer.encode("utf-8")  # nothing unencodable is sent back to a front end
    for citation in answer.citations:
        assert citation.n >= 1 and citation.quote


SHELL_BYTE = "Is holmium \udcff controlled?"  # what Python makes of `lodestone ask $'Is holmium \xff controlled?'`


@BOUNDED
@given(question=questions)
@example(question=SHELL_BYTE)
def test_any_cleaned_question_is_answered_or_clearly_refused(engine, question):
    """What the CLI and Slack pass on (through clean_question) always ends well."""
    ends_well(engine, clean_question(question))


@BOUNDED
@given(question=questions)
@example(question=SHELL_BYTE)
def test_any_raw_text_is_answered_or_clearly_refused(engine, question):
    """What the web API passes on, uncleaned (a lone surrogate in a JSON string, for one): the engine cleans it."""
    ends_well(engine, question)
