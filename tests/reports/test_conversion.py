"""The Word and Excel reports open in LibreOffice too: it converts both to PDF without complaint."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.reports.helpers import report

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: .ci/run installs libreoffice-writer-nogui "
    "and libreoffice-calc-nogui where it can",
)
def test_libreoffice_converts_the_word_and_excel_reports_to_pdf(
    client: TestClient, viewer: dict, board: dict, tmp_path: Path
) -> None:
    word = tmp_path / "board-word.docx"
    excel = tmp_path / "board-excel.xlsx"
    word.write_bytes(report(client, viewer, "2020-21-Q2", "docx").content)
    excel.write_bytes(report(client, viewer, "2020-21-Q2", "xlsx").content)
    out = tmp_path / "pdf"
    # A profile of its own, so that no other LibreOffice running on the machine gets in the way.
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(word),
            str(excel),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    for name in ("board-word.pdf", "board-excel.pdf"):
        pdf = (out / name).read_bytes()
        assert pdf.startswith(b"%PDF-")
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1, name
