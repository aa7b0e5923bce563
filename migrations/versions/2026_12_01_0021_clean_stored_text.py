"""Clean stored text under the text rule: line ends (\\r\\n, \\r and Word's vertical tab) become
newlines, and control characters other than tab and newline, lone surrogates and Unicode
non-characters are removed, so rows stored before the rule cannot break an export.

Not undone by the downgrade: the characters removed meant nothing to a reader.

Revision ID: 0021_clean_stored_text
Revises: 0020_people
Create Date: 2026-12-01 20:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_clean_stored_text"
down_revision: str | None = "0020_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.core.schemas had it when this ran: a migration keeps its own copy of the rule.
_LINE_ENDS = re.compile(r"\r\n|\r|\v")
_NON_CHARACTERS = "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
_REFUSED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NON_CHARACTERS}]")
# Machine-written strings that are not text a person reads: left exactly as they are.
_LEFT_ALONE = {"alembic_version", "idempotency_record", "api_token.token_digest"}


def _clean(value: str) -> str:
    return _REFUSED.sub("", _LINE_ENDS.sub("\n", value))


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table_name in inspector.get_table_names():
        if table_name in _LEFT_ALONE:
            continue
        keys = inspector.get_pk_constraint(table_name)["constrained_columns"]
        columns = [
            column["name"]
            for column in inspector.get_columns(table_name)
            if isinstance(column["type"], sa.String)
            and f"{table_name}.{column['name']}" not in _LEFT_ALONE
        ]
        if not keys or not columns:
            continue
        table = sa.table(table_name, *(sa.column(name) for name in {*keys, *columns}))
        rows = bind.execute(sa.select(*(table.c[name] for name in [*keys, *columns])))
        for row in rows.mappings().all():
            changed = {
                name: _clean(row[name])
                for name in columns
                if row[name] is not None and _clean(row[name]) != row[name]
            }
            if changed:
                bind.execute(
                    table.update()
                    .where(*(table.c[key] == row[key] for key in keys))
                    .values(**changed)
                )


def downgrade() -> None:
    """The removed characters are not restored."""
