"""Linking the plans' free text to people: a task's owner and a strand's lead name a person
when the text (or one of its names, where several share it) is the person's name, e-mail or an
alias, case and spacing ignored. The reminders find what each person owes with it."""

import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.people.models import Person, PersonAlias
from app.people.service import fold
from app.strategies.models import Strand
from app.tasks.models import Task

# "DCI Smith / PC Jones", "Smith, Jones & Patel", "Smith and Jones".
SEPARATORS = re.compile(r"\s*(?:/|,|;|&|\+|\band\b)\s*", re.IGNORECASE)


def names_in(text: str) -> set[str]:
    """The folded text whole and each name in it."""
    whole = fold(text)
    if not whole:
        return set()
    return {whole} | {fold(part) for part in SEPARATORS.split(text) if fold(part)}


def keys_of(*, session: Session, person: Person) -> set[str]:
    """Every folded way of writing the person: name, e-mail and aliases."""
    keys = {fold(person.name), fold(person.email)}
    keys |= set(session.exec(select(PersonAlias.folded).where(PersonAlias.person_id == person.id)))
    return {key for key in keys if key}


def names_person(text: str, keys: set[str]) -> bool:
    return bool(names_in(text) & keys)


def person_named(*, session: Session, text: str) -> Person | None:
    """The person a piece of plan text names, when exactly one does."""
    wanted = names_in(text)
    if not wanted:
        return None
    found: dict[int, Person] = {}
    for alias in session.exec(select(PersonAlias).where(PersonAlias.folded.in_(sorted(wanted)))):  # type: ignore[attr-defined]
        person = session.get(Person, alias.person_id)
        if person is not None:
            found[person.id] = person  # type: ignore[index]
    for person in session.exec(select(Person)):
        if {fold(person.name), fold(person.email)} & wanted:
            found[person.id] = person  # type: ignore[index]
    return next(iter(found.values())) if len(found) == 1 else None


@dataclass
class Responsibilities:
    """What a person is named on: tasks they own and strands they lead."""

    tasks: list[Task] = field(default_factory=list)
    strands: list[Strand] = field(default_factory=list)


def responsibilities(*, session: Session, person: Person) -> Responsibilities:
    keys = keys_of(session=session, person=person)
    found = Responsibilities()
    if not keys:
        return found
    tasks = session.exec(select(Task).where(Task.owner != "").order_by(Task.id))  # type: ignore[arg-type]
    found.tasks = [task for task in tasks if names_person(task.owner, keys)]
    strands = session.exec(select(Strand).where(Strand.lead != "").order_by(Strand.id))  # type: ignore[arg-type]
    found.strands = [strand for strand in strands if names_person(strand.lead, keys)]
    return found
