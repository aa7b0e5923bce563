"""People, the access rules that map the provider's claims to a role and strands, and aliases."""

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlmodel import Session, select

from app.auth.models import Role
from app.auth.service import Actor, ensure_admin
from app.core.base import utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.people.models import AccessRule, Person, PersonAlias
from app.strategies.models import Strand

RANK = {Role.viewer: 0, Role.lead: 1, Role.admin: 2}


def fold(text: str) -> str:
    """How names, e-mails and aliases are compared: case and spacing ignored."""
    return " ".join(text.split()).casefold()


# People


def record_person(*, session: Session, subject: str, name: str, email: str) -> Person:
    """Make or update the person the provider calls `subject`, as the provider names them."""
    person = session.exec(select(Person).where(Person.subject == subject)).first()
    now = utcnow()
    if person is None:
        person = Person(subject=subject, name=name, email=email, last_seen_at=now)
        session.add(person)
    else:
        if (person.name, person.email) != (name, email):
            person.name, person.email, person.updated_at = name, email, now
        person.last_seen_at = now
        session.add(person)
    session.flush()
    return person


def list_people(*, session: Session, actor: Actor, page: PageParams) -> tuple[list[Person], int]:
    ensure_admin(actor)
    statement = select(Person).order_by(Person.name, Person.id)
    people = list(session.exec(statement.limit(page.limit).offset(page.offset)))
    return people, count(session, statement)


def get_person(*, session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def aliases_of(*, session: Session, person_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = sorted(set(person_ids))
    found: dict[int, list[str]] = {person_id: [] for person_id in ids}
    if ids:
        rows = session.exec(
            select(PersonAlias)
            .where(PersonAlias.person_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(PersonAlias.alias)
        )
        for alias in rows:
            found[alias.person_id].append(alias.alias)
    return found


def add_alias(*, session: Session, actor: Actor, person_id: int, alias: str) -> PersonAlias:
    """Link another spelling of a person's name to them; one person per spelling."""
    ensure_admin(actor)
    person = get_person(session=session, person_id=person_id)
    folded = fold(alias)
    if not folded:
        raise Invalid("an alias cannot be empty", field="alias")
    existing = session.exec(select(PersonAlias).where(PersonAlias.folded == folded)).first()
    if existing is not None:
        if existing.person_id == person.id:
            return existing
        raise Invalid(f"the alias {alias!r} is already another person's", field="alias")
    record = PersonAlias(person_id=person.id, alias=" ".join(alias.split()), folded=folded)
    session.add(record)
    session.flush()
    return record


def remove_alias(*, session: Session, actor: Actor, person_id: int, alias: str) -> None:
    ensure_admin(actor)
    record = session.exec(
        select(PersonAlias).where(
            PersonAlias.person_id == person_id, PersonAlias.folded == fold(alias)
        )
    ).first()
    if record is None:
        raise NotFound(f"person {person_id} has no alias {alias!r}")
    session.delete(record)
    session.flush()


# Access rules


def list_rules(*, session: Session) -> list[AccessRule]:
    return list(session.exec(select(AccessRule).order_by(AccessRule.claim_value)))


def get_rule(*, session: Session, claim_value: str) -> AccessRule:
    rule = session.exec(select(AccessRule).where(AccessRule.claim_value == claim_value)).first()
    if rule is None:
        raise NotFound(f"no access rule for {claim_value!r}")
    return rule


def set_rule(
    *,
    session: Session,
    actor: Actor,
    claim_value: str,
    role: Role,
    strands: Sequence[str],
    contributors: Sequence[str] = (),
) -> tuple[AccessRule, bool]:
    """Grant `role` (and, for a lead, `strands` and plan `contributors`) to everyone whose claim
    holds `claim_value`.

    Returns the rule and whether it is new.
    """
    ensure_admin(actor)
    claim_value = claim_value.strip()
    if not claim_value or len(claim_value) > 200:
        raise Invalid("a claim value is 1 to 200 characters", field="claim_value")
    if role is Role.lead and not strands and not contributors:
        raise Invalid("a lead rule must name at least one strand or contributor", field="strands")
    if role is not Role.lead and strands:
        raise Invalid("only lead rules are scoped to strands", field="strands")
    if role is not Role.lead and contributors:
        raise Invalid("only lead rules are scoped to contributors", field="contributors")
    wanted = sorted(set(strands))
    writes_for = sorted(set(contributors))
    if wanted:
        known = set(session.exec(select(Strand.slug).where(Strand.slug.in_(wanted))))  # type: ignore[attr-defined]
        unknown = [slug for slug in wanted if slug not in known]
        if unknown:
            raise Invalid(f"unknown strand: {', '.join(unknown)}", field="strands")
    rule = session.exec(select(AccessRule).where(AccessRule.claim_value == claim_value)).first()
    created = rule is None
    if rule is None:
        rule = AccessRule(
            claim_value=claim_value,
            role=role,
            strands=wanted,
            contributors=writes_for,
            updated_by=actor.name,
        )
    elif (rule.role, rule.strands, rule.contributors) != (role, wanted, writes_for):
        rule.role, rule.strands, rule.contributors = role, wanted, writes_for
        rule.updated_at, rule.updated_by = utcnow(), actor.name
    session.add(rule)
    session.flush()
    return rule, created


def remove_rule(*, session: Session, actor: Actor, claim_value: str) -> None:
    ensure_admin(actor)
    session.delete(get_rule(session=session, claim_value=claim_value))
    session.flush()


def claim_values(claims: dict, claim: str) -> list[str]:
    """The values of the roles (or groups) claim, which providers send as a list or a string."""
    value = claims.get(claim)
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        return []
    return sorted({item for item in value if isinstance(item, str) and item})


def access_for(*, session: Session, values: Sequence[str]) -> tuple[Role, frozenset[str]]:
    """The role and strands the matching rules grant: the highest role; a lead's strands joined.

    With no rule matching there is no access at all, never a default role.
    """
    grant = grant_for(session=session, values=values)
    return grant.role, grant.strands


class Grant(NamedTuple):
    role: Role
    strands: frozenset[str]
    contributors: frozenset[str]


def grant_for(*, session: Session, values: Sequence[str]) -> Grant:
    """`access_for`, with the plan contributors a lead's rules let it write commentary for."""
    rules = (
        list(
            session.exec(
                select(AccessRule).where(AccessRule.claim_value.in_(sorted(values)))  # type: ignore[attr-defined]
            )
        )
        if values
        else []
    )
    if not rules:
        raise Forbidden(
            "you are signed in, but no access rule matches your roles at the identity provider "
            f"({', '.join(values) or 'none'}): ask an administrator for access"
        )
    role = max((rule.role for rule in rules), key=RANK.__getitem__)
    if role is not Role.lead:
        return Grant(role, frozenset(), frozenset())
    leads = [rule for rule in rules if rule.role is Role.lead]
    return Grant(
        role,
        frozenset(slug for rule in leads for slug in rule.strands),
        frozenset(slug for rule in leads for slug in rule.contributors or ()),
    )


def set_reminders(*, session: Session, actor: Actor, enabled: bool) -> Person:
    """Turn the caller's own reminder e-mails on or off; only a person has any."""
    if actor.person_id is None:
        raise Conflict(
            "reminders go to people who sign in with the identity provider: an API token has "
            "none to turn on or off"
        )
    person = get_person(session=session, person_id=actor.person_id)
    if person.reminders_enabled != enabled:
        person.reminders_enabled = enabled
        person.updated_at = utcnow()
        session.add(person)
        session.flush()
    return person


def actor_for(*, session: Session, person: Person, values: Sequence[str]) -> Actor:
    role, strands, contributors = grant_for(session=session, values=values)
    return Actor(
        token_id=0,
        name=person.name or person.email or person.subject,
        role=role,
        strands=strands,
        contributors=contributors,
        email=person.email or None,
        via="oidc",
        person_id=person.id,
    )
