"""PDFs exported by an office suite: a list's marker (a bullet from a symbol font, or
"1.") is a piece of its own, set off from the item's text by a tab, and a wrapped item
goes on where the item's text began. Both read as list items, not as a two-column table
or as a new paragraph."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from knowledge.documents import _join_marker, _Line, load_document


def office_list_pdf(path: Path) -> None:
    """A heading, a paragraph and a numbered list laid out as Writer and Word export it:
    each marker a text piece at the list's margin, the item's text at a hanging indent,
    the second line of a wrapped item at that indent too (and starting with a capital)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 20, "Funding rounds")
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 32, "The fund runs two rounds a year, and each follows the same calendar.")
    items = [
        ("1.", ["The spring round opens on 1 March and the autumn round on 1", "September."]),
        ("2.", ["Applications close four weeks after a round opens."]),
        (
            "3.",
            [
                "The panel meets in the seventh week of the round and hears each",
                "Team for ten minutes.",
            ],
        ),
        ("4.", ["Decisions are sent by e-mail within three working days."]),
    ]
    y = 42.0
    for marker, lines in items:
        pdf.text(26, y, marker)
        for line in lines:
            pdf.text(33, y, line)
            y += 6
    pdf.text(20, y + 6, "Late applications wait for the next round.")
    pdf.output(str(path))


def test_an_office_suite_s_numbered_list_reads_item_by_item(tmp_path: Path) -> None:
    path = tmp_path / "fund.pdf"
    office_list_pdf(path)
    texts = [b.text for b in load_document(path).blocks]
    assert "1. The spring round opens on 1 March and the autumn round on 1 September." in texts
    assert (
        "3. The panel meets in the seventh week of the round and hears each Team for ten "
        "minutes." in texts
    )
    assert "September." not in texts
    assert not any(t.startswith("1.:") or ": The spring" in t for t in texts)  # no table


def test_a_symbol_font_bullet_set_apart_is_a_bullet_not_a_column() -> None:
    line = _Line(1, 72.0, 500.0, 11.0, False, "\uf0b7 passwords and API keys;", [])
    line.cells = [[72.0, 4.0, "\uf0b7", False], [90.0, 120.0, "passwords and API keys;", False]]
    _join_marker(line)
    assert line.text == "• passwords and API keys;"
    assert [c[2] for c in line.cells] == ["• passwords and API keys;"]
    assert line.text_x == 90.0
    # two cells of a table row are left as they are
    row = _Line(1, 72.0, 400.0, 11.0, False, "Pilot 60", [])
    row.cells = [[72.0, 20.0, "Pilot", False], [200.0, 12.0, "60", False]]
    _join_marker(row)
    assert len(row.cells) == 2 and row.text_x is None


def ruled_table_pdf(path: Path) -> None:
    """A table as an office suite exports it: every cell's border drawn as a line, a
    title row across the table, a bold heading row, and cells wrapped over lines that
    are written cell by cell (a wrapped cell's lines before its neighbour's)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 20, "Repository tiers")
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 30, "Every repository carries a tier that decides what the assistant may do.")
    pdf.set_font("Helvetica", size=11)
    # the columns as tight as an office suite sets them: a cell's padding of 1 mm
    widest = max(
        pdf.get_string_width(t) for t in ("administration, broker", "Typical repositories")
    )
    cols = [20.0, 40.0, 40.0 + widest + 2.0, 40.0 + widest + 50.0]
    rows = [36.0, 44.0, 52.0, 70.0, 88.0]  # title, heading, Green, Amber (top edges), bottom
    pdf.set_line_width(0.2)
    for y in rows:
        pdf.line(cols[0], y, cols[-1], y)
    for x in cols:
        pdf.line(x, rows[1], x, rows[-1])  # no inner rules in the title row
    pdf.line(cols[0], rows[0], cols[0], rows[1])
    pdf.line(cols[-1], rows[0], cols[-1], rows[1])
    pdf.text(22, 41, "Tiers in force from 1 April")
    pdf.set_font("Helvetica", "B", 11)
    for x, head in zip(cols, ("Tier", "Typical repositories", "Assistant use"), strict=False):
        pdf.text(x + 1, 49, head)
    pdf.set_font("Helvetica", size=11)
    cells = [
        (
            "Green",
            ["internal tools, intranet", "pages, test suites, build", "scripts"],
            ["completions and chat"],
        ),
        (
            "Amber",
            ["claims core, policy", "administration, broker", "portal back end"],
            ["completions only, no", "chat"],
        ),
    ]
    for top, (tier, middle, right) in zip((52.0, 70.0), cells, strict=True):
        pdf.text(cols[0] + 1, top + 5, tier)
        for n, text in enumerate(middle):
            pdf.text(cols[1] + 1, top + 5 + 5 * n, text)
        for n, text in enumerate(right):
            pdf.text(cols[2] + 1, top + 5 + 5 * n, text)
    pdf.text(20, 100, "A repository without a tag is treated as Red.")
    pdf.output(str(path))


def test_a_table_drawn_with_rules_is_read_cell_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "tiers.pdf"
    ruled_table_pdf(path)
    texts = [b.text for b in load_document(path).blocks]
    assert "Tiers in force from 1 April" in texts  # the title row, on its own
    assert (
        "Tier: Green; Typical repositories: internal tools, intranet pages, test suites, build "
        "scripts; Assistant use: completions and chat." in texts
    )
    assert (
        "Tier: Amber; Typical repositories: claims core, policy administration, broker portal "
        "back end; Assistant use: completions only, no chat." in texts
    )
    assert "A repository without a tag is treated as Red." in texts
    assert not any(t in ("scripts", "chat", "completions and chat") for t in texts)


def test_only_drawn_paths_are_read_as_rules_never_text_in_strings() -> None:
    from knowledge.documents import _path_operations

    stream = (
        b"q 1 0 0 1 10 20 cm 0.5 w 0 0 m 100 0 l S Q\n"
        b"BT /F1 11 Tf 72 700 Td (draw 1 2 m 3 4 l S here) Tj <414243> Tj ET\n"
        b"10 10 200 0.4 re f\n"
    )
    ops = [op for _, op in _path_operations(stream)]
    assert ops == ["q", "cm", "m", "l", "S", "Q", "re", "f"]
    assert _path_operations(b"1 0 0 1 5 5 cm")[0] == ([1.0, 0.0, 0.0, 1.0, 5.0, 5.0], "cm")


def draw_grid(pdf: FPDF, cols: list[float], rows: list[float]) -> None:
    """A table's rules: a line across at each row edge, one down at each column edge."""
    for y in rows:
        pdf.line(cols[0], y, cols[-1], y)
    for x in cols:
        pdf.line(x, rows[0], x, rows[-1])


def test_a_ruled_table_over_a_page_break_is_one_table(tmp_path: Path) -> None:
    """The headings and the first row's start on one page, the rest of that row and the
    next row overleaf (below a running header): one table, its rows under the headings."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    cols = [20.0, 60.0, 190.0]
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 20, "Sanctions")
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 250, "Breaches are handled by the head of engineering.")
    draw_grid(pdf, cols, [256.0, 264.0, 290.0])
    pdf.set_font("Helvetica", "B", 11)
    pdf.text(22, 261, "Breach")
    pdf.text(62, 261, "Consequence")
    pdf.set_font("Helvetica", size=11)
    pdf.text(22, 269, "Missing trailer")
    pdf.text(62, 269, "Seat suspended for 14 days and")
    pdf.add_page()
    pdf.text(20, 10, "Lindqvist & Hale - coding assistant policy")
    draw_grid(pdf, cols, [20.0, 30.0, 40.0])
    pdf.text(62, 25, "the refresher repeated")
    pdf.text(22, 35, "Second breach")
    pdf.text(62, 35, "Seat withdrawn")
    pdf.text(20, 60, "The policy is reviewed every year.")
    pdf.output(str(tmp_path / "sanctions.pdf"))
    texts = [b.text for b in load_document(tmp_path / "sanctions.pdf").blocks]
    assert (
        "Breach: Missing trailer; Consequence: Seat suspended for 14 days and the refresher "
        "repeated." in texts
    )
    assert "Breach: Second breach; Consequence: Seat withdrawn." in texts
    assert "the refresher repeated" not in texts


def test_a_box_drawn_across_a_ruled_table_s_last_rule_adds_no_column(tmp_path: Path) -> None:
    """A button printed over a table's foot (a cookie banner's "Accept" button, as a
    browser prints it): its upright sides cross the table's bottom rule but join no two
    of its rules, so they are no column boundaries."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 20, "Close calendar")
    pdf.set_line_width(0.2)
    draw_grid(pdf, [20.0, 50.0, 190.0], [30.0, 38.0, 46.0, 54.0])
    # a rounded button: its straight sides are rules (its corners are curves), and they
    # cross the table's bottom rule only
    pdf.line(30.0, 51.0, 30.0, 59.0)
    pdf.line(70.0, 51.0, 70.0, 59.0)
    pdf.set_font("Helvetica", "B", 11)
    pdf.text(22, 35, "Day")
    pdf.text(52, 35, "Step")
    pdf.set_font("Helvetica", size=11)
    pdf.text(22, 43, "WD1")
    pdf.text(52, 43, "Soft close of the ledger")
    pdf.text(22, 51, "WD2")
    pdf.text(52, 51, "Drafts of the commentary")
    pdf.output(str(tmp_path / "close.pdf"))
    texts = [b.text for b in load_document(tmp_path / "close.pdf").blocks]
    assert "Day: WD1; Step: Soft close of the ledger." in texts
    assert "Day: WD2; Step: Drafts of the commentary." in texts
    # the grid has the table's three column rules, not the box's two besides: a part of
    # the table overleaf is matched to it by its columns
    from pypdf import PdfReader

    from knowledge.documents import _page_lines, _ruled_tables

    page = PdfReader(tmp_path / "close.pdf").pages[0]
    lines = _page_lines(page, 1)
    _ruled_tables(lines, page)
    frames = [line.frame for line in lines if line.frame is not None]
    assert len(frames) == 1 and len(frames[0][2]) == 3


def table_over_a_page_break(
    path: Path,
    title: str,
    cols: tuple[float, ...],
    heads: tuple[str, ...],
    foot: list[tuple[str, ...]],
    overleaf: list[tuple[str, ...]],
) -> None:
    """A table set in columns without rules: its bold headings and the ``foot`` rows end
    a page, the ``overleaf`` rows open the next; a sentence before and after it."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 20, title)
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 240, "The table below is read row by row.")

    def row(y: float, cells: tuple[str, ...]) -> None:
        for x, cell in zip(cols, cells, strict=True):
            pdf.text(x, y, cell)

    pdf.set_font("Helvetica", "B", 11)
    row(268 - 8 * len(foot), heads)
    pdf.set_font("Helvetica", size=11)
    for n, cells in enumerate(foot):
        row(268 - 8 * (len(foot) - 1 - n), cells)
    pdf.add_page()
    for n, cells in enumerate(overleaf):
        row(20 + 8 * n, cells)
    pdf.text(20, 50, "The table is reviewed every year.")
    pdf.output(str(path))


def test_a_table_without_rules_over_a_page_break_keeps_its_headings(tmp_path: Path) -> None:
    """A table set in columns without rules, its headings and first row at a page's foot
    and its other rows at the top of the next page: the rows overleaf are read under the
    same headings."""
    table_over_a_page_break(
        tmp_path / "levels.pdf",
        "Referral levels",
        (20.0, 45.0, 120.0),
        ("Level", "When it applies", "Who decides"),
        [("A", "Up to EUR 2 million", "The underwriter")],
        [
            ("B", "EUR 2 to 10 million", "A senior underwriter"),
            ("C", "Over EUR 10 million", "The committee"),
        ],
    )
    texts = [b.text for b in load_document(tmp_path / "levels.pdf").blocks]
    assert "Level: A; When it applies: Up to EUR 2 million; Who decides: The underwriter." in texts
    assert (
        "Level: B; When it applies: EUR 2 to 10 million; Who decides: A senior underwriter."
        in texts
    )
    assert "Level: C; When it applies: Over EUR 10 million; Who decides: The committee." in texts


def test_a_table_s_headings_alone_at_a_page_s_foot_head_its_rows_overleaf(
    tmp_path: Path,
) -> None:
    """The bold headings of a table without rules are the last line of a page, its rows
    open the next: the headings label the rows and are no heading of the section."""
    table_over_a_page_break(
        tmp_path / "intervals.pdf",
        "Review intervals",
        (20.0, 70.0, 120.0),
        ("Document type", "Reviewed every", "Signed off by"),
        [],
        [
            ("Claims guidelines", "3 months", "head of claims standards"),
            ("Policy wordings", "6 months", "product owner"),
        ],
    )
    blocks = load_document(tmp_path / "intervals.pdf").blocks
    texts = [b.text for b in blocks]
    assert (
        "Document type: Claims guidelines; Reviewed every: 3 months; Signed off by: head of "
        "claims standards." in texts
    )
    assert (
        "Document type: Policy wordings; Reviewed every: 6 months; Signed off by: product owner."
        in texts
    )
    assert not any("Document type" in b.section for b in blocks)
