"""Tables in PDFs: cells set side by side (and wrapped over lines) come back as rows read
under their column headings, as Word and web-page tables do; text that merely has gaps
(code, a contents page) is left as it was."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from knowledge.documents import load_document
from tests.harness.pdf import pdf_file

ROWS = [
    ("Tier", "When it applies", "Who approves", "Turnaround"),
    ("Bronze", "Spend under EUR 5,000 a month on a single model", "The team lead", "Same day"),
    (
        "Silver",
        "Spend from EUR 5,000 to 40,000, or customer data",
        "The spine's FinOps analyst",
        "Two working days",
    ),
    (
        "Gold",
        "Over EUR 40,000, or a regulated decision",
        "The model risk committee",
        "Next monthly sitting",
    ),
]


def fpdf_table(path: Path) -> None:
    """A policy page as fpdf2 writes it: a heading, a paragraph, a table whose long cells
    wrap (the short cells of a row are centred beside them), and a paragraph after it."""
    pdf = FPDF()
    pdf.add_page()
    at_left = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, "Model spend approvals", **at_left)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, "Approval tiers", **at_left)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(
        0, 5, "Every request to raise a team's model budget falls into one tier.", **at_left
    )
    pdf.ln(3)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(20, 45, 35, 30)) as table:
        for cells in ROWS:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, "A request that names no budget owner is sent back unread.", **at_left)
    pdf.output(str(path))


def test_a_table_with_wrapped_cells_is_read_row_by_row_under_its_headings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "approvals.pdf"
    fpdf_table(path)
    blocks = load_document(path).blocks
    texts = [b.text for b in blocks]
    assert texts[0] == "Every request to raise a team's model budget falls into one tier."
    assert texts[1:4] == [
        "Tier: Bronze; When it applies: Spend under EUR 5,000 a month on a single model; "
        "Who approves: The team lead; Turnaround: Same day.",
        "Tier: Silver; When it applies: Spend from EUR 5,000 to 40,000, or customer data; "
        "Who approves: The spine's FinOps analyst; Turnaround: Two working days.",
        "Tier: Gold; When it applies: Over EUR 40,000, or a regulated decision; "
        "Who approves: The model risk committee; Turnaround: Next monthly sitting.",
    ]
    assert texts[4] == "A request that names no budget owner is sent back unread."
    assert {b.section for b in blocks} == {"Approval tiers"}


def positioned_pdf(
    pieces: list[tuple[float, float, str]],
    font: str = "Helvetica",
    *,
    bold: frozenset[str] = frozenset(),
) -> bytes:
    """One page of 10 pt text pieces, each at its own (x, y), in the order given; the
    pieces whose text is in ``bold`` are set in the bold face."""
    ops = []
    for x, y, text in pieces:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        face = "/F2" if text in bold else "/F1"
        ops.append(f"BT {face} 10 Tf {x:.1f} {y:.1f} Td ({escaped}) Tj ET")
    stream = "\n".join(ops).encode()
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} >>".encode(),
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{font}-Bold >>".encode(),
        ]
    )


def test_a_table_whose_cells_are_set_from_the_top_is_read_the_same_way(tmp_path: Path) -> None:
    # as a word processor exports it: each row's cells start on one line, a long cell
    # wraps below its first line, and the cells are written row by row, left to right
    path = tmp_path / "rota.pdf"
    path.write_bytes(
        positioned_pdf(
            [
                (72, 700, "Shift coverage is agreed with the desk every quarter."),
                (72, 670, "Shift"),
                (200, 670, "Hours"),
                (380, 670, "Staffed by"),
                (72, 652, "Early"),
                (200, 652, "06:00 to 14:00 on weekdays,"),
                (200, 640, "with a handover at 13:45"),
                (380, 652, "Two analysts"),
                (72, 622, "Late"),
                (200, 622, "14:00 to 22:00"),
                (380, 622, "One analyst and the duty lead"),
                (72, 590, "Weekend cover is arranged by the duty lead on Thursday at the latest."),
            ]
        )
    )
    texts = [b.text for b in load_document(path).blocks]
    assert texts == [
        "Shift coverage is agreed with the desk every quarter.",
        "Shift: Early; Hours: 06:00 to 14:00 on weekdays, with a handover at 13:45; "
        "Staffed by: Two analysts.",
        "Shift: Late; Hours: 14:00 to 22:00; Staffed by: One analyst and the duty lead.",
        "Weekend cover is arranged by the duty lead on Thursday at the latest.",
    ]


def test_code_whose_words_line_up_and_a_contents_page_are_no_tables(tmp_path: Path) -> None:
    code = tmp_path / "code.pdf"
    code.write_bytes(
        positioned_pdf(
            [
                (72, 700, "export SPINE_MODE=strict"),
                (228, 700, "# the default"),
                (72, 688, "export SPINE_TIER=bronze"),
                (228, 688, "# per team"),
            ],
            font="Courier",
        )
    )
    contents = tmp_path / "contents.pdf"
    contents.write_bytes(
        positioned_pdf(
            [
                (72, 700, "1 Approval tiers"),
                (200, 700, ". . . . . . . . . . . . . . . 3"),
                (72, 688, "2 Budget owners"),
                (200, 688, ". . . . . . . . . . . . . . . 5"),
            ]
        )
    )
    for path in (code, contents):
        text = " ".join(b.text for b in load_document(path).blocks)
        assert ";" not in text and "|" not in text, text
    assert "SPINE_MODE=strict # the default" in " ".join(b.text for b in load_document(code).blocks)


def test_narrow_gutters_centred_headings_and_a_table_of_fields(tmp_path: Path) -> None:
    # as a browser prints a web page: columns as wide as their text with a few points
    # between them, headings in bold centred over their columns, a short paragraph
    # after the table, then a two-column table of fields with no headings
    path = tmp_path / "printed.pdf"
    path.write_bytes(
        positioned_pdf(
            [
                (40, 700, "Tier"),
                (95, 700, "Limit"),
                (160, 700, "Approver"),
                (34, 684, "Bronze"),
                (72, 684, "EUR 5,000"),
                (132, 684, "The team lead"),
                (34, 670, "Silver"),
                (72, 670, "EUR 40,000"),
                (132, 670, "The FinOps analyst"),
                (30, 648, "Limits are monthly."),
                (34, 620, "Contact"),
                (80, 620, "the gateway channel"),
                (34, 606, "Hours"),
                (80, 606, "08:00 to 18:00 CET"),
            ],
            bold=frozenset({"Tier", "Limit", "Approver"}),
        )
    )
    texts = [b.text for b in load_document(path).blocks]
    assert texts == [
        "Tier: Bronze; Limit: EUR 5,000; Approver: The team lead.",
        "Tier: Silver; Limit: EUR 40,000; Approver: The FinOps analyst.",
        "Limits are monthly.",
        "Contact: the gateway channel.",
        "Hours: 08:00 to 18:00 CET.",
    ]


def test_a_line_across_a_gutter_ends_the_table_and_no_line_is_read_twice(tmp_path: Path) -> None:
    # the second row's middle cell runs into the third column (a cell spanning two):
    # the table so far ends there, and what follows is read once, in order
    path = tmp_path / "spanning.pdf"
    path.write_bytes(
        positioned_pdf(
            [
                (40, 700, "Tier"),
                (95, 700, "Limit"),
                (150, 700, "Approver"),
                (34, 684, "Bronze"),
                (72, 684, "EUR 5,000"),
                (122, 684, "The team lead"),
                (34, 670, "Silver"),
                (72, 670, "EUR 40,000 or any customer data"),
                (34, 656, "Gold"),
                (72, 656, "Above"),
                (122, 656, "The committee"),
            ],
            bold=frozenset({"Tier", "Limit", "Approver"}),
        )
    )
    text = " ".join(b.text for b in load_document(path).blocks)
    for piece in ("Bronze", "Silver", "Gold", "The team lead", "The committee"):
        assert text.count(piece) == 1, text
    assert text.index("Bronze") < text.index("Silver") < text.index("Gold")
