"""A board paper's sections as the API reads and writes them (bodies in Markdown)."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from app.core.quarters import QuarterField
from app.core.schemas import Id, InputModel, example, text


class SectionKey(StrEnum):
    """The author's sections, in the paper's order."""

    purpose = "purpose"
    recommendations = "recommendations"
    exceptions = "exceptions"
    strategy_progress = "strategy_progress"
    implications = "implications"
    consultation = "consultation"
    actions = "actions"
    future_work = "future_work"


NUMBERS = {
    SectionKey.purpose: "1.0",
    SectionKey.recommendations: "2.0",
    SectionKey.exceptions: "3.3",
    SectionKey.strategy_progress: "4.0",
    SectionKey.implications: "6.0",
    SectionKey.consultation: "7.0",
    SectionKey.actions: "8.0",
    SectionKey.future_work: "9.0",
}
"""Fixed by the paper's shape: 3.1, 3.2 and 5.x are generated, and sit between these."""

TITLES = {
    SectionKey.purpose: "Purpose of Report",
    SectionKey.recommendations: "Recommendations",
    SectionKey.exceptions: "Delivery/challenges by exception",
    SectionKey.strategy_progress: "Strategy progress and next steps",
    SectionKey.implications: "Implications",
    SectionKey.consultation: "Consultation/Engagement",
    SectionKey.actions: "Actions for Improvement",
    SectionKey.future_work: "Future Work",
}
SUBSECTION_TITLES = {
    SectionKey.implications: (
        "Links to Police and Crime Plan priorities",
        "Demand",
        "Risks/Mitigation",
        "Equality and/or Human Rights",
        "Health and Safety",
    ),
}
"""Sub-sections a new paper starts with."""

MAX_BODY = 20_000
MAX_SUBSECTIONS = 20

Title = text(200, 1)
Body = text(MAX_BODY)


class SubsectionWrite(InputModel):
    title: Title
    body: Body = Field(default="", description=f"Markdown, at most {MAX_BODY} characters.")


class SectionWrite(InputModel):
    key: SectionKey
    title: Title | None = Field(default=None, description="Default: the paper's usual title.")
    body: Body = Field(default="", description=f"Markdown, at most {MAX_BODY} characters.")
    subsections: list[SubsectionWrite] = Field(default_factory=list, max_length=MAX_SUBSECTIONS)


class BoardPaperWrite(InputModel):
    """The whole paper: each section at most once; a section left out is left empty."""

    sections: list[SectionWrite] = Field(max_length=len(SectionKey))

    @field_validator("sections")
    @classmethod
    def _once_each(cls, sections: list[SectionWrite]) -> list[SectionWrite]:
        keys = [s.key for s in sections]
        repeated = sorted({k.value for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"each section once: {', '.join(repeated)} given twice")
        return sections


class SubsectionRead(BaseModel):
    number: str
    title: str
    body: str


class SectionRead(BaseModel):
    key: SectionKey
    number: str = Field(description="As the paper numbers it: `3.3`, `6.0`.")
    title: str
    body: str
    subsections: list[SubsectionRead]


class BoardPaperRead(BaseModel):
    """A quarter's board paper: draft until published, and again while being restated."""

    model_config = example(
        {
            "quarter": "2020-21-Q2",
            "strategy_id": 1,
            "status": "draft",
            "version": 3,
            "published_version": None,
            "started_from": "2020-21-Q1",
            "sections": [
                {
                    "key": "purpose",
                    "number": "1.0",
                    "title": "Purpose",
                    "body": "To update the board on the strategy's delivery in Q2.",
                    "subsections": [],
                }
            ],
            "updated_at": "2020-10-20T16:00:00Z",
            "updated_by": "admin",
        }
    )

    quarter: QuarterField
    strategy_id: Id
    status: str = Field(description="`draft` or `published`.")
    version: int = Field(description="The draft's edit count; 0 until first saved.")
    published_version: int | None = Field(description="The latest published version, if any.")
    started_from: QuarterField | None = Field(
        description="The earlier quarter whose text a new draft starts from."
    )
    sections: list[SectionRead]
    updated_at: datetime | None
    updated_by: str | None
