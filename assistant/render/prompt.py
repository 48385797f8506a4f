"""The parts of an Answer the generator keeps as they are (verdict and status lines), drawn from data.

The generator streams these lines first, then its own verified sentences; the
prompt shows them with passage numbers so the model can refer to them.

>>> from assistant.schema import Answer, StatusLine, Verdict
>>> a = Answer("q", "", False, verdict=Verdict("yes", "Yes.", [1]), status_lines=[StatusLine("m", "No. 18", "in_force", "in force", citation=1)])
>>> fixed_lines(a)
['**Yes.** [1]', '- No. 18: in force [1]']
"""

from __future__ import annotations

from assistant.render.markdown import markers
from assistant.schema import Answer


def fixed_lines(answer: Answer) -> list[str]:
    lines = [f"**{answer.verdict.text}**{markers(answer.verdict.citations)}"] if answer.verdict else []
    return lines + [f"- {s.title}: {s.phrase}{markers([s.citation])}" for s in answer.status_lines]
