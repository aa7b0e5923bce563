"""Seed 003's 2020/21 Q2 board paper, rebuilt through the API: nine strands with their leads,
their plans (House Burglary's retired), risks, the Domestic Abuse return with its DVPO table,
and the author's sections 1.0 to 9.0 as the paper has them."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import factories

STRANDS = [
    ("Domestic Abuse", "Chief Superintendent Andrew Mariner"),
    ("Gangs and Knife Crime", "D/Supt Leighton Hammett"),
    ("Night Time Economy", "Supt John Hallworth"),
    ("Child Abuse and Exploitation", "T/DCS Elliott Judge"),
    ("Extremism and Radicalisation", "Supt Michelle Davies"),
    ("Hate Crime", "D/Supt Scott Cannon"),
    ("Digital Crime and Fraud", "DCI Stuart Truss"),
    ("House Burglary and Street Robbery", "C/Supt Simon Anslow"),
    ("Serious and Organised Crime", "D/Ch/Inspector Lee Morton"),
]

DVPO = """Increasing use of DVPOs remains a significant area of strength for the force and Essex
Police are recognised nationally in this area:

| Month | 2019 | 2020 | Breaches | Performance improvement compared to previous year |
| --- | ---: | ---: | ---: | ---: |
| January | 6 | 19 | | + 216% |
| February | 14 | 19 | | + 35% |
| March | 14 | 22 | 6 | + 57% |
| April | 9 | 27 | 6 | + 200% |
| May | 16 | 16 | 7 | 0% |
| June | 21 | 21 | 6 | 0% |
| July | 22 | 26 | 7 | + 18% |
"""
DVPO_ROWS = [
    ["Month", "2019", "2020", "Breaches", "Performance improvement compared to previous year"],
    ["January", "6", "19", "", "+ 216%"],
    ["February", "14", "19", "", "+ 35%"],
    ["March", "14", "22", "6", "+ 57%"],
    ["April", "9", "27", "6", "+ 200%"],
    ["May", "16", "16", "7", "0%"],
    ["June", "21", "21", "6", "0%"],
    ["July", "22", "26", "7", "+ 18%"],
]
INSIGHT = (
    "Chief Officer scrutiny is now in place in the form of a monthly DA Oversight Board, which "
    "is now in third cycle.\n\n" + DVPO
)
ACHIEVED = (
    "Over the past three years there has been a continual increase in Domestic Abuse calls for "
    "service. We are now meeting or exceeding our targets consistently."
)
SCHEDULED = (
    "A decrease in referrals to Victim Support over the past quarter is cause of slight "
    "concern. DAGB have commissioned a piece of work to understand this further.\n\n"
    "- A detailed internal comms plan\n- A Domestic Abuse knowledge hub for officers and staff"
)

SECTIONS: list[dict[str, Any]] = [
    {
        "key": "purpose",
        "title": "Purpose of Report",
        "body": "The report covers for each of the nine thematic strands of the Crime Prevention "
        "Strategy 2018-21 (herein 'the Strategy'):\n\n"
        "- Dashboard of progress of the associated Delivery Plan;\n"
        "- Work strands at risk and mitigating action;\n"
        "- Insights to show/illustrate data insights for minimum of rolling 12 months;\n"
        "- Delivery achieved previous quarter;\n"
        "- Delivery schedule for current quarter.",
    },
    {
        "key": "recommendations",
        "title": "Recommendations",
        "body": "The Board are asked to note the content and provide comment on the new report "
        "format.",
    },
    {
        "key": "exceptions",
        "title": "Delivery/challenges by exception",
        "subsections": [
            {
                "title": "CoVid19 recovery",
                "body": "Op TALLA continues to operate with a dedicated Superintendent and "
                "Command structure.",
            },
            {
                "title": "Black Lives Matter (BLM)",
                "body": "There were 9 BLM protests organised across Essex, all of which were "
                "conducted without arrest or significant community impact.",
            },
            {
                "title": "Unlicensed Music Events (UME)",
                "body": "EP have disrupted 24 UMEs between 24 July and 09 August 2020.",
            },
        ],
    },
    {
        "key": "strategy_progress",
        "title": "Crime Prevention Strategy 2021-24 progress",
        "body": "Essex Police are committed to develop a stronger new Crime Prevention Strategy "
        "(2021-24).\n\n**Next Steps:**\n\n"
        "- 07 September 2020 presentation of Strategy and Delivery Plan proposal to Safer Essex;\n"
        "- December 2020 - final draft\n"
        "- 19 January 2021 - Launch of Crime Prevention Strategy 2021-24",
    },
    {
        "key": "implications",
        "title": "Implications (Issues)",
        "body": "There are no implications anticipated.",
        "subsections": [
            {
                "title": "Links to Police and Crime Plan Priorities",
                "body": "The thematic strands deliver against the priorities identified within "
                "the PCC Plan.",
            },
            {"title": "Demand", "body": "This report utilises the demand modelling."},
            {"title": "Risks/Mitigation", "body": "No risks identified."},
            {
                "title": "Equality and/or Human Rights Implications",
                "body": "Summarise any identified impact on equality, diversity or human rights.",
            },
            {
                "title": "Health and Safety Implications",
                "body": "No Health and Safety Risks identified.",
            },
        ],
    },
    {
        "key": "consultation",
        "title": "Consultation/Engagement",
        "body": "Thematic leads have all contributed to the report.",
    },
    {
        "key": "actions",
        "title": "Actions for Improvement",
        "body": "There are no outstanding HMICFRS improvement plans or Areas for Improvement "
        "(AFIs) relating to the Crime Prevention Strategy.",
    },
    {
        "key": "future_work",
        "title": "Future Work/Development and Expected Outcome",
        "body": "As described under section 4.0 Crime Prevention Strategy 2021-24 progress: "
        "Next steps.",
    },
]

PAPER = "/api/v1/board-papers/2020-21-Q2"


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def paper003(client: TestClient, admin: dict) -> dict[str, Any]:
    strategy = factories.strategy(client, admin)
    strands = {
        name: factories.strand(client, admin, strategy["id"], name, lead=lead)
        for name, lead in STRANDS
    }
    tasks: dict[str, list[int]] = {}
    for name, strand in strands.items():
        retired = name.startswith("House Burglary")
        plan = factories.plan(
            client, admin, strand["id"], name, **({"ends_on": "2020-03-31"} if retired else {})
        )
        added_on = "2019-04-01" if retired else "2020-04-01"
        tasks[name] = [
            factories.task(
                client, admin, plan["id"], f"{name} task {n}", task_no=n, added_on=added_on
            )["id"]
            for n in (1, 2)
        ]
    factories.status(client, admin, tasks["Domestic Abuse"][0], "complete", "2020-05-01")
    factories.status(client, admin, tasks["Domestic Abuse"][1], "at_risk", "2020-08-01")
    factories.status(client, admin, tasks["Gangs and Knife Crime"][0], "at_risk", "2020-09-01")
    risk = factories.risk(
        client,
        admin,
        strands["Domestic Abuse"]["id"],
        task_id=tasks["Domestic Abuse"][1],
        description="Resourcing of DA teams",
        owner="DCI Domestic Abuse",
        mitigation="Focus police uplift programme resources on **prevention** activity.",
        response="treat",
        registered_on="2020-08-03",
    )
    returns = "/api/v1/returns/domestic-abuse/2020-21-Q2"
    body = {"insight": INSIGHT, "delivery_achieved": ACHIEVED, "delivery_scheduled": SCHEDULED}
    ok(client.put(returns, json=body, headers=admin), 201)
    ok(client.post(f"{returns}/submit", headers=admin))

    etag = client.get(PAPER, headers=admin).headers["etag"]
    saved = client.put(PAPER, json={"sections": SECTIONS}, headers={**admin, "If-Match": etag})
    ok(saved, 201)
    return {"strategy": strategy, "strands": strands, "tasks": tasks, "risk": risk}
