"""The one Markdown renderer: real tables and lists in every format; hostile text stays text."""

import io
from html.parser import HTMLParser

import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.markdown import to_docx, to_html, to_plain

DVPO = """Increasing use of DVPOs remains a **significant** area of strength:

| Month | 2019 | 2020 | Breaches |
| --- | ---: | ---: | ---: |
| January | 6 | 19 | |
| March | 14 | 22 | 6 |

- arrests made
- call attendance
"""

ALLOWED_TAGS = {
    "p", "strong", "em", "s", "a", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "code", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
}  # fmt: skip


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def reread(text: str) -> Document:
    document = Document()
    to_docx(document, text)
    buffer = io.BytesIO()
    document.save(buffer)
    return Document(io.BytesIO(buffer.getvalue()))


def test_a_table_is_a_real_table_in_html_word_and_plain_text() -> None:
    html = to_html(DVPO)
    assert [t for t, _ in tags_of(html)].count("tr") == 3
    assert '<td style="text-align:right">22</td>' in html
    document = reread(DVPO)
    [table] = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Month", "2019", "2020", "Breaches"],
        ["January", "6", "19", ""],
        ["March", "14", "22", "6"],
    ]
    assert [(p.style.name, p.text) for p in document.paragraphs if p.text] == [
        ("Normal", "Increasing use of DVPOs remains a significant area of strength:"),
        ("List Bullet", "arrests made"),
        ("List Bullet", "call attendance"),
    ]
    assert to_plain(DVPO).splitlines() == [
        "Increasing use of DVPOs remains a significant area of strength:",
        "Month\t2019\t2020\tBreaches",
        "January\t6\t19\t",
        "March\t14\t22\t6",
        "• arrests made",
        "• call attendance",
    ]


def test_raw_html_and_script_links_are_shown_as_text() -> None:
    text = '<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="x()">'
    html = to_html(text)
    assert tags_of(html) == [("p", {})]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click](javascript:alert(2))" in html
    document = reread(text)
    assert [p.text for p in document.paragraphs] == [text]


def test_safe_links_are_links() -> None:
    assert tags_of(to_html("[the plan](https://example.org/plan)")) == [
        ("p", {}),
        ("a", {"href": "https://example.org/plan"}),
    ]
    assert to_plain("[the plan](https://example.org/plan)") == "the plan (https://example.org/plan)"


def test_a_link_to_nowhere_is_its_text() -> None:
    assert tags_of(to_html("see [the plan]() here")) == [("p", {})]
    assert to_plain("see [the plan]() here") == "see the plan here"


HOSTILE = st.lists(
    st.sampled_from(
        [
            "<script>", "</script>", "javascript:", "JaVaScRiPt:", "data:text/html,", "[a](",
            ")", "](", "![i](http://x/y.png)", "<a href='", "'>", "|", "| --- |", "\n", "\n\n",
            "- ", "1. ", "**", "_", "`", "```", "> ", "# ", "&#106;avascript:", "<!--", "onerror=",
            "vbscript:", " ", "x", "\t", "\\",
        ]
    )
    | st.text(max_size=5),
    max_size=40,
).map("".join)  # fmt: skip


@pytest.mark.once
@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_hostile_markdown_never_runs_and_never_breaks_a_format(text: str) -> None:
    for tag, attrs in tags_of(to_html(text)):
        assert tag in ALLOWED_TAGS
        assert set(attrs) <= {"href", "style", "start", "class", "title"}
        href = attrs.get("href")
        if href is not None:
            assert href.lower().startswith(("http://", "https://", "mailto:"))
    reread(text)
    assert isinstance(to_plain(text), str)
