"""People, the aliases that link plan text to them, access rules, and web sessions."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.auth.models import Role
from app.core.base import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """Someone the identity provider signed in: made or updated whenever they are seen."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_type=sa.String(255), unique=True)
    name: str = Field(default="", sa_type=sa.String(200))
    email: str = Field(default="", sa_type=sa.String(320))
    # The reminders write to people who have not opted out.
    reminders_enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonAlias(SQLModel, table=True):
    """Another way plans write a person ("DCI Smith"), kept by admins; unique once folded."""

    __tablename__ = "person_alias"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    alias: str = Field(sa_type=sa.String(200))
    folded: str = Field(sa_type=sa.String(200), unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccessRule(SQLModel, table=True):
    """What a value of the provider's roles (or groups) claim grants."""

    __tablename__ = "access_rule"

    id: int | None = Field(default=None, primary_key=True)
    claim_value: str = Field(sa_type=sa.String(200), unique=True)
    role: Role = Field(sa_type=sa.Enum(Role, native_enum=False, length=16))
    strands: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # The Police and Crime Plan contributors (slugs) a lead writes commentary for.
    contributors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", sa_type=sa.String(200))


class WebSession(SQLModel, table=True):
    """A browser's sign-in: the cookie holds a random id of which only the digest is kept."""

    __tablename__ = "web_session"
    # Sessions come and go with every sign-in; the trail records what people do in them.
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    session_digest: str = Field(sa_type=sa.String(64), unique=True)
    csrf_token: str = Field(sa_type=sa.String(64))
    token_id: int | None = Field(
        default=None, foreign_key="api_token.id", index=True, ondelete="CASCADE"
    )
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="CASCADE"
    )
    # The values of the roles claim at sign-in: access is worked out from them on each request,
    # so that an admin's change of the rules applies at once.
    claims: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Sent back to the provider as id_token_hint when signing out.
    id_token: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SignInAttempt(SQLModel, table=True):
    """A browser sent to the provider: the state, nonce and PKCE verifier to check its return."""

    __tablename__ = "sign_in_attempt"
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(sa_type=sa.String(64), unique=True)
    nonce: str = Field(sa_type=sa.String(64))
    code_verifier: str = Field(sa_type=sa.String(128))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
