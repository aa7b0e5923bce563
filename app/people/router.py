"""Who am I, the people the provider signed in, and the access rules for its claims."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.auth.dependencies import ActorDep, admin_actor
from app.auth.service import ensure_admin
from app.core.db import SessionDep
from app.core.openapi import errors, tag
from app.core.pagination import Page, PageDep
from app.core.schemas import Id
from app.people import links, service
from app.people.models import Person
from app.people.schemas import (
    AccessRuleRead,
    AccessRuleWrite,
    AliasCreate,
    MeRead,
    MeReminders,
    MeUpdate,
    PersonRead,
    ResponsibilitiesRead,
)

router = APIRouter(
    tags=tag(
        "people",
        "Who am I (`GET /me`), the people who signed in with the identity provider, their "
        "aliases, and the access rules that give a roles claim a role and strands.",
    )
)
ClaimValue = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/me")
def me(actor: ActorDep) -> MeRead:
    """Who is calling: name, e-mail, role, the strands a lead may change, and how they signed in."""
    return MeRead(
        name=actor.name,
        email=actor.email,
        role=actor.role,
        strands=sorted(actor.strands),
        contributors=sorted(actor.contributors),
        via=actor.via,
    )


@router.patch("/me")
def update_me(data: MeUpdate, session: SessionDep, actor: ActorDep) -> MeReminders:
    """Turn your own reminder e-mails off (`{"reminders": false}`) or on again (a person only)."""
    person = service.set_reminders(session=session, actor=actor, enabled=data.reminders)
    return MeReminders(reminders=person.reminders_enabled)


def _read(person: Person, aliases: list[str]) -> PersonRead:
    return PersonRead.model_validate({**person.model_dump(), "aliases": aliases})


@router.get("/people", dependencies=[Depends(admin_actor)])
def list_people(session: SessionDep, actor: ActorDep, page: PageDep) -> Page[PersonRead]:
    """Everyone the identity provider has signed in, by name (admin)."""
    people, total = service.list_people(session=session, actor=actor, page=page)
    aliases = service.aliases_of(session=session, person_ids=[p.id for p in people])  # type: ignore[misc]
    return Page(
        items=[_read(p, aliases[p.id]) for p in people],  # type: ignore[index]
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/people/{person_id}/responsibilities", responses=errors(403))
def person_responsibilities(
    person_id: Id, session: SessionDep, actor: ActorDep
) -> ResponsibilitiesRead:
    """The tasks whose owner and the strands whose lead name this person (admins, or the person)."""
    if actor.person_id != person_id:
        ensure_admin(actor)
    person = service.get_person(session=session, person_id=person_id)
    found = links.responsibilities(session=session, person=person)
    return ResponsibilitiesRead.model_validate(found)


@router.post(
    "/people/{person_id}/aliases",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(admin_actor)],
)
def add_alias(person_id: Id, data: AliasCreate, session: SessionDep, actor: ActorDep) -> PersonRead:
    """Another way plans write this person's name, so that tasks and strands link to them."""
    service.add_alias(session=session, actor=actor, person_id=person_id, alias=data.alias)
    person = service.get_person(session=session, person_id=person_id)
    return _read(person, service.aliases_of(session=session, person_ids=[person_id])[person_id])


@router.delete(
    "/people/{person_id}/aliases/{alias}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(admin_actor)],
)
def remove_alias(
    person_id: Id,
    alias: Annotated[str, Path(min_length=1, max_length=200)],
    session: SessionDep,
    actor: ActorDep,
) -> Response:
    """Unlink an alias from the person."""
    service.remove_alias(session=session, actor=actor, person_id=person_id, alias=alias)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/access", dependencies=[Depends(admin_actor)])
def list_access(session: SessionDep) -> list[AccessRuleRead]:
    """The rules mapping the provider's roles (or groups) claim to a role and strands (admin)."""
    return [AccessRuleRead.model_validate(rule) for rule in service.list_rules(session=session)]


@router.get("/access/{claim_value}", dependencies=[Depends(admin_actor)])
def get_access(claim_value: ClaimValue, session: SessionDep) -> AccessRuleRead:
    """What one claim value grants."""
    return AccessRuleRead.model_validate(service.get_rule(session=session, claim_value=claim_value))


@router.put(
    "/access/{claim_value}",
    dependencies=[Depends(admin_actor)],
    responses={201: {"model": AccessRuleRead, "description": "A new rule."}},
)
def set_access(
    claim_value: ClaimValue,
    data: AccessRuleWrite,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
) -> AccessRuleRead:
    """Grant a role (and a lead's strands) to whoever's claim holds this value; 201 when new."""
    rule, created = service.set_rule(
        session=session,
        actor=actor,
        claim_value=claim_value,
        role=data.role,
        strands=data.strands,
        contributors=data.contributors,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return AccessRuleRead.model_validate(rule)


@router.delete(
    "/access/{claim_value}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(admin_actor)],
)
def remove_access(claim_value: ClaimValue, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a rule: people whose claim holds only this value lose access on their next call."""
    service.remove_rule(session=session, actor=actor, claim_value=claim_value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
