"""API tokens: only the SHA-256 digest of a token is ever stored."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    lead = "lead"
    viewer = "viewer"


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100), unique=True)
    role: Role = Field(sa_type=sa.Enum(Role, native_enum=False, length=16))
    strands: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # The Police and Crime Plan contributors (slugs) a lead writes commentary for.
    contributors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    token_digest: str = Field(sa_type=sa.String(64), unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
