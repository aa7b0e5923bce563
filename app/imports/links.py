"""Read `Linked to action (10) & (15)` in a task's How as the numbers of the tasks it names."""

import re

_FLAGS = re.IGNORECASE | re.ASCII
_LINKED_TO = re.compile(r"\blinked\s+to\b", _FLAGS)
# One reference in a list: `(10)`, `10`, `action 10`, `(Action 10)`, after `&`, `and`, `,` or `/`.
_REFERENCE = re.compile(
    r"\s*(?:(?:&|\band\b|,|/|\+)\s*)?(?:actions?\b\.?\s*)?"
    r"(?:\(\s*(?:actions?\s*)?(\d{1,5})\s*\)|(\d{1,5})\b(?![.:]\d))",
    _FLAGS,
)
# `linked to the "Pan Essex Strategic Governance" (Action 5)`: a named action later in the clause.
_NAMED_ACTION = re.compile(r"\(\s*actions?\s+(\d{1,5})\s*\)", _FLAGS)
_CLAUSE_END = re.compile(r"\s-\s|[.;?!\n]")


def linked_numbers(how: str) -> list[int]:
    """The task numbers a How text says it is linked to, in order, each once."""
    numbers: list[int] = []
    for match in _LINKED_TO.finditer(how):
        position = match.end()
        found = False
        while reference := _REFERENCE.match(how, position):
            numbers.append(int(reference[1] or reference[2]))
            position = reference.end()
            found = True
        if not found:
            end = _CLAUSE_END.search(how, position)
            clause = how[position : end.start() if end else len(how)]
            numbers.extend(int(m[1]) for m in _NAMED_ACTION.finditer(clause))
    return list(dict.fromkeys(n for n in numbers if n > 0))
