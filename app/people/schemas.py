"""Who am I, people, their aliases and the access rules, as the API reads and writes them."""

from datetime import datetime

from pydantic import Field

from app.auth.models import Role
from app.core.schemas import Flag, InputModel, OutputModel, Slug, example, text

Alias = text(200, 1)


class MeRead(OutputModel):
    model_config = example(
        {
            "name": "Jane Smith",
            "email": "jane.smith@police.example.org",
            "role": "lead",
            "strands": ["domestic-abuse"],
            "via": "oidc",
        }
    )

    name: str
    email: str | None
    role: Role
    strands: list[str]
    contributors: list[str] = Field(
        default_factory=list, description="The plan contributors a lead writes commentary for."
    )
    via: str = Field(description="`token` for an API token, `oidc` for a person signed in.")


class MeUpdate(InputModel):
    model_config = example({"reminders": False})

    reminders: Flag = Field(description="false turns your reminder e-mails off, true back on.")


class MeReminders(OutputModel):
    model_config = example({"reminders": False})

    reminders: bool


class PersonRead(OutputModel):
    model_config = example(
        {
            "id": 7,
            "subject": "a1b2c3d4",
            "name": "Jane Smith",
            "email": "jane.smith@police.example.org",
            "aliases": ["DCI Smith"],
            "reminders_enabled": True,
            "created_at": "2020-04-01T09:00:00Z",
            "last_seen_at": "2020-09-14T10:32:05Z",
        }
    )

    id: int
    subject: str
    name: str
    email: str
    aliases: list[str]
    reminders_enabled: bool
    created_at: datetime
    last_seen_at: datetime


class AliasCreate(InputModel):
    model_config = example({"alias": "DCI Smith"})

    alias: Alias


class AccessRuleWrite(InputModel):
    model_config = example({"role": "lead", "strands": ["domestic-abuse"]})

    role: Role
    strands: list[Slug] = Field(default_factory=list, max_length=100)
    contributors: list[Slug] = Field(default_factory=list, max_length=100)


class AccessRuleRead(OutputModel):
    model_config = example(
        {
            "claim_value": "4P-DA-Leads",
            "role": "lead",
            "strands": ["domestic-abuse"],
            "contributors": [],
            "updated_at": "2020-09-14T10:32:05Z",
            "updated_by": "admin",
        }
    )

    claim_value: str
    role: Role
    strands: list[str]
    contributors: list[str]
    updated_at: datetime
    updated_by: str


class LinkedTask(OutputModel):
    id: int
    plan_id: int
    strand_id: int
    title: str
    owner: str


class LinkedStrand(OutputModel):
    id: int
    slug: str
    name: str
    lead: str


class ResponsibilitiesRead(OutputModel):
    """What the plans name a person on: tasks they own and strands they lead."""

    model_config = example(
        {
            "tasks": [
                {
                    "id": 17,
                    "plan_id": 1,
                    "strand_id": 1,
                    "title": "Raise awareness of coercive control with partner agencies",
                    "owner": "Jane Smith",
                }
            ],
            "strands": [
                {"id": 1, "slug": "domestic-abuse", "name": "Domestic Abuse", "lead": "Jane Smith"}
            ],
        }
    )

    tasks: list[LinkedTask]
    strands: list[LinkedStrand]
