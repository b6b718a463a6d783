"""Document structure from each format's layout: headings, boilerplate, running lines, links."""

from __future__ import annotations

from pathlib import Path

from knowledge.documents import (
    chunk_document,
    file_url,
    load_document,
    repair_hyphens,
    safe_url,
)
from tests.harness.pdf import pdf_file

Line = tuple[float, str, float | None]  # (font size, text, fixed y or None: next line down)


def layout_pdf(pages: list[list[Line]], *, bold: set[str] | None = None) -> bytes:
    """A PDF whose lines have chosen font sizes and positions (no PDF library needed).
    Lines whose text is in ``bold`` use Helvetica-Bold."""
    bold = bold or set()
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    n = len(pages)
    page_ids = [3 + 2 * i for i in range(n)]
    font_id = 3 + 2 * n
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, lines in enumerate(pages):
        ops = []
        y = 720.0
        for size, text, fixed in lines:
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            font = "/F2" if text in bold else "/F1"
            ops.append(f"BT {font} {size} Tf 72 {fixed if fixed else y:.1f} Td ({escaped}) Tj ET")
            if fixed is None:
                y -= size * 1.5
        stream = "\n".join(ops).encode()
        objects.append(
            (
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
                f"<< /F1 {font_id} 0 R /F2 {font_id + 1} 0 R >> >> "
                f"/Contents {page_ids[i] + 1} 0 R >>"
            ).encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    return pdf_file(objects)


HEADER = (9.0, "Northwind Handbook - internal use only", 760.0)


def handbook_pdf() -> bytes:
    return layout_pdf(
        [
            [
                HEADER,
                (22, "Onboarding handbook", None),
                (16, "First week", None),
                (13, "Equipment", None),
                (11, "Every new colleague receives a laptop and a badge on the first", None),
                (11, "morning. The service desk handles the imple-", None),
                (11, "mentation of accounts within one working day.", None),
                (16, "Expenses", None),
                (11, "Travel costs are refunded within ten days of the claim.", None),
                (9, "Page 1 of 2", 40.0),
            ],
            [
                HEADER,
                (11, "Meals on business trips are covered up to forty euros a day.", None),
                (9, "Page 2 of 2", 40.0),
            ],
        ]
    )


def test_pdf_headings_come_from_font_sizes_and_the_largest_line_is_the_title(
    tmp_path: Path,
) -> None:
    path = tmp_path / "handbook.pdf"
    path.write_bytes(handbook_pdf())
    doc = load_document(path)
    assert doc.title == "Onboarding handbook"
    assert [(b.section, b.page) for b in doc.blocks] == [
        ("First week > Equipment", 1),
        ("Expenses", 1),
        ("Expenses", 2),
    ]
    # The heading is not glued into the first sentence of its paragraph.
    assert doc.blocks[0].text.startswith("Every new colleague receives a laptop")


def test_pdf_running_headers_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "handbook.pdf"
    path.write_bytes(handbook_pdf())
    text = " ".join(b.text for b in load_document(path).blocks)
    assert "Northwind Handbook" not in text
    assert "Page 1" not in text and "Page 2" not in text


def test_a_one_page_pdf_drops_the_running_header_above_its_title(tmp_path: Path) -> None:
    path = tmp_path / "retirement.pdf"
    path.write_bytes(
        layout_pdf(
            [
                [
                    (9, "Northwind - Retiring a model version - internal", None),
                    (22, "Retiring a model version", None),
                    (11, "Providers withdraw model versions on their own schedule.", None),
                    (16, "Notice", None),
                    (11, "Retirements are announced 90 days ahead.", None),
                ]
            ]
        )
    )
    doc = load_document(path)
    assert doc.title == "Retiring a model version"
    text = " ".join(b.text for b in doc.blocks)
    assert "internal" not in text and text.startswith("Providers withdraw")


def test_pdf_line_breaks_inside_a_paragraph_are_joined_and_hyphens_repaired(
    tmp_path: Path,
) -> None:
    path = tmp_path / "handbook.pdf"
    path.write_bytes(handbook_pdf())
    first = load_document(path).blocks[0].text
    assert first == (
        "Every new colleague receives a laptop and a badge on the first morning. "
        "The service desk handles the implementation of accounts within one working day."
    )


def test_pdf_bold_lines_at_body_size_are_the_lowest_heading_level(tmp_path: Path) -> None:
    path = tmp_path / "policy.pdf"
    body = "Requests above the threshold need the approval of the finance lead first."
    path.write_bytes(
        layout_pdf(
            [
                [
                    (20, "Finance policies", None),
                    (16, "Purchasing", None),
                    (11, "Approvals", None),
                    (11, body, None),
                ]
            ],
            bold={"Approvals"},
        )
    )
    doc = load_document(path)
    assert [(b.section, b.text) for b in doc.blocks] == [("Purchasing > Approvals", body)]


def test_docx_styles_give_title_heading_levels_and_tables_in_reading_order(
    tmp_path: Path,
) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    custom = document.styles.add_style("Policy Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_paragraph("Chargeback policy", style="Title")
    document.add_paragraph("Anna Berger", style="Subtitle")
    document.add_heading("Rates", level=1)
    document.add_heading("Tokens", level=2)
    document.add_paragraph("Units pay for model tokens at cost plus five percent.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "GPU hour"
    table.rows[0].cells[1].text = "2.10 EUR"
    document.add_paragraph("Hosting", style="Policy Heading")
    document.add_paragraph("Hosting is billed monthly per deployed service.")
    path = tmp_path / "chargeback.docx"
    document.save(str(path))
    doc = load_document(path)
    assert doc.title == "Chargeback policy"
    assert doc.meta["byline"] == "Anna Berger"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("Rates > Tokens", "Units pay for model tokens at cost plus five percent."),
        ("Rates > Tokens", "GPU hour: 2.10 EUR."),
        ("Rates > Hosting", "Hosting is billed monthly per deployed service."),
    ]


def test_docx_headings_set_by_hand_in_bold_and_larger_type_are_headings(
    tmp_path: Path,
) -> None:
    import docx
    from docx.shared import Pt

    document = docx.Document()

    def line(text: str, size: float | None = None, bold: bool = False) -> None:
        run = document.add_paragraph().add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)

    line("Chargeback policy", 20, bold=True)
    line("Units pay for what their use cases spend on models.")
    line("Rates", 14, bold=True)
    line("Tokens", bold=True)
    line("Units pay for model tokens at cost plus five percent.")
    line("Never share an invoice outside the unit.", bold=True)  # a bold sentence: text
    line("Hosting", bold=True)
    line("Hosting is billed monthly per deployed service.")
    line("Approved by", bold=True)  # bold lines in a row: emphasis, not headings
    line("The finance board", bold=True)
    path = tmp_path / "chargeback.docx"
    document.save(str(path))
    doc = load_document(path)
    assert doc.title == "Chargeback policy"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "Units pay for what their use cases spend on models."),
        ("Rates > Tokens", "Units pay for model tokens at cost plus five percent."),
        ("Rates > Tokens", "Never share an invoice outside the unit."),
        ("Rates > Hosting", "Hosting is billed monthly per deployed service."),
        ("Rates > Hosting", "Approved by"),
        ("Rates > Hosting", "The finance board"),
    ]


def test_markdown_and_web_page_headings_typed_in_bold_are_headings(tmp_path: Path) -> None:
    (tmp_path / "rates.md").write_text(
        "**Chargeback policy**\n\n"
        "Units pay for what their use cases spend.\n\n"
        "# Rates\n\n"
        "**Tokens**\n\n"
        "Tokens are billed at cost plus five percent.\n\n"
        "**Do not forward invoices.**\n\n"  # a bold sentence is text
        "__Hosting__\n"
        "Hosting is billed monthly.\n\n"
        "A line with **bold** inside stays as it is.\n",
        encoding="utf-8",
    )
    doc = load_document(tmp_path / "rates.md")
    assert doc.title == "Chargeback policy"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "Units pay for what their use cases spend."),
        ("Rates > Tokens", "Tokens are billed at cost plus five percent."),
        ("Rates > Tokens", "Do not forward invoices."),
        ("Rates > Hosting", "Hosting is billed monthly."),
        ("Rates > Hosting", "A line with bold inside stays as it is."),
    ]
    (tmp_path / "rates.html").write_text(
        "<html><head><title>Rates | Wiki</title></head><body>"
        '<p><span style="font-size:20pt; font-weight: 700">Chargeback policy</span></p>'
        "<p>Units pay for what their use cases spend.</p>"
        "<p><strong>Tokens</strong></p><p>Tokens are billed at cost plus five percent.</p>"
        "<p><b>Note:</b> rates change in January.</p>"  # partly bold: text
        '<p><span style="font-weight:bold">Hosting</span></p><p>Hosting is billed monthly.</p>'
        "</body></html>",
        encoding="utf-8",
    )
    page = load_document(tmp_path / "rates.html")
    assert page.title == "Chargeback policy"
    assert [(b.section, b.text) for b in page.blocks] == [
        ("", "Units pay for what their use cases spend."),
        ("Tokens", "Tokens are billed at cost plus five percent."),
        ("Tokens", "Note: rates change in January."),
        ("Hosting", "Hosting is billed monthly."),
    ]


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
TEXT_BOX = (
    f"<w:r {W_NS} "
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml">'
    '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic>'
    '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
    "<wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>Escalate a breach within two hours."
    "</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>"
    "</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
    "<w:txbxContent><w:p><w:r><w:t>Escalate a breach within two hours.</w:t></w:r></w:p>"
    "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
)


def test_docx_text_in_content_controls_and_text_boxes_is_read_once(tmp_path: Path) -> None:
    # a corporate template: its fields in content controls, a callout in a text box,
    # a tracked deletion; python-docx's own paragraphs miss the first two
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("Spend policy", style="Title")
    document.add_heading("Approvals", level=1)
    anchor = document.add_paragraph("Owners approve their own spend.")
    anchor._p.addprevious(
        parse_xml(
            f"<w:sdt {W_NS}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>The approval limit is "
            "5,000 euros.</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        )
    )
    anchor._p.append(parse_xml(TEXT_BOX))
    edited = document.add_paragraph("Reviews happen ")
    edited._p.append(
        parse_xml(f"<w:del {W_NS}><w:r><w:delText>every day and </w:delText></w:r></w:del>")
    )
    edited._p.append(
        parse_xml(
            f"<w:sdt {W_NS}><w:sdtContent><w:r><w:t>monthly.</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )
    path = tmp_path / "template.docx"
    document.save(str(path))
    assert [(b.section, b.text) for b in load_document(path).blocks] == [
        ("Approvals", "The approval limit is 5,000 euros."),
        ("Approvals", "Owners approve their own spend."),
        ("Approvals", "Escalate a breach within two hours."),
        ("Approvals", "Reviews happen monthly."),
    ]


def test_a_word_table_of_fields_reads_each_row_as_a_field_and_its_value(tmp_path: Path) -> None:
    # a template's document-control block: the labels in bold, so its first row is a
    # field, not column headings; a table of plain cells keeps its first row as headings
    import docx

    document = docx.Document()
    document.add_paragraph("Spend policy", style="Title")
    fields = document.add_table(rows=3, cols=2)
    for row, (key, value) in zip(
        fields.rows,
        [("Owner", "Finance partner"), ("Status", "Approved"), ("Review date", "1 March 2027")],
        strict=True,
    ):
        row.cells[0].paragraphs[0].add_run(key).bold = True
        row.cells[1].text = value
    tiers = document.add_table(rows=3, cols=2)
    for row, (key, value) in zip(
        tiers.rows,
        [("Tier", "Who signs"), ("Gold", "the chief risk officer"), ("Silver", "a unit director")],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = key, value
    headed = document.add_table(rows=2, cols=2)  # headings in bold, first column too
    for row, (key, value) in zip(
        headed.rows, [("Tier", "Budget"), ("Gold", "Unlimited")], strict=True
    ):
        for cell, text in zip(row.cells, (key, value), strict=True):
            cell.paragraphs[0].add_run(text).bold = row is headed.rows[0] or cell is row.cells[0]
    path = tmp_path / "policy.docx"
    document.save(str(path))
    assert [b.text for b in load_document(path).blocks] == [
        "Owner: Finance partner.",
        "Status: Approved.",
        "Review date: 1 March 2027.",
        "Tier: Gold; Who signs: the chief risk officer.",
        "Tier: Silver; Who signs: a unit director.",
        "Tier: Gold; Budget: Unlimited.",
    ]


def test_folded_answers_of_a_web_page_are_text_and_their_button_heads_them(
    tmp_path: Path,
) -> None:
    # an FAQ page as site builders make it: each answer hidden until its button is
    # clicked, tabs and an "expand" section hidden by a style; a hidden banner and a
    # hidden menu outside the article are still chrome
    page = tmp_path / "faq.html"
    page.write_text(
        "<html><body>"
        '<div class="notice" hidden><p>Our offices close on Friday.</p></div>'
        '<div aria-hidden="true"><p>Menu: Home, Claims, Contact</p></div>'
        "<div id='content'><h1>Claims FAQ</h1><p>What handlers ask most.</p>"
        '<div class="accordion-item">'
        '<button class="accordion-button" aria-expanded="false" aria-controls="a1">'
        "How long is a claim file kept?</button>"
        '<div id="a1" class="accordion-collapse collapse" hidden>'
        "<p>Claim files are kept for ten years.</p></div></div>"
        '<div role="tabpanel" style="display: none"><p>The hotline opens at eight.</p></div>'
        '<div class="expand-content" style="display:none"><p>The fee is 40 euros.</p></div>'
        "</div></body></html>",
        encoding="utf-8",
    )
    assert [(b.section, b.text) for b in load_document(page).blocks] == [
        ("", "What handlers ask most."),
        ("How long is a claim file kept?", "Claim files are kept for ten years."),
        ("", "The hotline opens at eight."),
        ("", "The fee is 40 euros."),
    ]
    # inside the page's main part, folded text is kept whatever its class
    page.write_text(
        "<html><body><main><h1>Rates</h1><p>Rates are set each January.</p>"
        '<div class="more" hidden><p>Night shifts are paid at 1.5 times the rate.</p></div>'
        "</main></body></html>",
        encoding="utf-8",
    )
    assert [b.text for b in load_document(page).blocks] == [
        "Rates are set each January.",
        "Night shifts are paid at 1.5 times the rate.",
    ]


def test_raw_html_in_markdown_is_markup_not_text(tmp_path: Path) -> None:
    # a Git wiki page: comments, line breaks, a folded question, a centred picture and
    # footnotes in HTML or their own syntax; a "<name>" placeholder and code stay
    (tmp_path / "gateway.md").write_text(
        "# Gateway guide\n\n"
        "<!-- keep this page short\n   and friendly -->\n\n"
        "Requests go through the gateway.<br>Each team has a key.\n\n"
        "<details>\n<summary>How do I rotate a key?</summary>\n\n"
        "Ask the platform desk; it takes one day.\n\n</details>\n\n"
        '<div align="center"><img src="flow.png" alt="flow"></div>\n\n'
        "Register with `/usecase add <name>` or /usecase add <name>.[^1]\n\n"
        "[^1]: Names are unique.\n",
        encoding="utf-8",
    )
    doc = load_document(tmp_path / "gateway.md")
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "Requests go through the gateway. Each team has a key."),
        ("How do I rotate a key?", "Ask the platform desk; it takes one day."),
        ("", "Register with /usecase add <name> or /usecase add <name>."),
        ("", "Names are unique."),
    ]


def test_ligatures_soft_hyphens_and_zero_width_spaces_do_not_split_words(
    tmp_path: Path,
) -> None:
    # a typeset PDF's text gives "ﬁ" as one character; a web page's soft hyphens and
    # zero-width spaces are invisible: the keyword index must see the words a reader sees
    (tmp_path / "office.md").write_text(
        "# The \ufb01nance o\ufb03ce\n\nIt \ufb02ags manage\u00adment costs\u200b weekly.\n",
        encoding="utf-8",
    )
    doc = load_document(tmp_path / "office.md")
    assert doc.title == "The finance office"
    assert [b.text for b in doc.blocks] == ["It flags management costs weekly."]


def test_web_page_tables_with_a_title_row_spans_and_a_thead_of_plain_cells(
    tmp_path: Path,
) -> None:
    page = tmp_path / "quotas.html"
    page.write_text(
        "<html><body><main><h1>Quotas</h1><table>"
        '<tr><th colspan="3">Daily quotas by tier</th></tr>'
        "<tr><th>Tier</th><th>Tokens</th><th>Approver</th></tr>"
        "<tr><td>Bronze</td><td>1 million</td><td>Team lead</td></tr>"
        '<tr><td rowspan="2">Silver</td><td>5 million</td><td>FinOps analyst</td></tr>'
        "<tr><td>8 million</td><td>Head of spine</td></tr>"
        '<tr><td>Gold</td><td colspan="2">agreed case by case</td></tr>'
        "</table><table><thead><tr><td>Tier</td><td>Price</td></tr></thead>"
        "<tbody><tr><td>Bronze</td><td>10 euros</td></tr></tbody></table>"
        "</main></body></html>",
        encoding="utf-8",
    )
    assert [b.text for b in load_document(page).blocks] == [
        "Daily quotas by tier",
        "Tier: Bronze; Tokens: 1 million; Approver: Team lead.",
        "Tier: Silver; Tokens: 5 million; Approver: FinOps analyst.",
        "Tier: Silver; Tokens: 8 million; Approver: Head of spine.",
        "Tier: Gold; Tokens: agreed case by case; Approver: agreed case by case.",
        "Tier: Bronze; Price: 10 euros.",
    ]


def test_docx_table_with_a_merged_title_row_merged_cells_and_equal_neighbours(
    tmp_path: Path,
) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Quotas", style="Title")
    table = document.add_table(rows=5, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Daily quotas by tier"
    for row, values in enumerate(
        [["Tier", "Weekdays", "Weekends"], ["Bronze", "Yes", "Yes"], ["Silver", "Yes", "No"]],
        start=1,
    ):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    table.cell(4, 0).text = "Gold"
    table.cell(4, 1).merge(table.cell(4, 2)).text = "by agreement"
    path = tmp_path / "quotas.docx"
    document.save(str(path))
    assert [b.text for b in load_document(path).blocks] == [
        "Daily quotas by tier",
        "Tier: Bronze; Weekdays: Yes; Weekends: Yes.",  # equal neighbours are two cells
        "Tier: Silver; Weekdays: Yes; Weekends: No.",
        "Tier: Gold; Weekdays: by agreement; Weekends: by agreement.",
    ]


def test_a_page_built_of_divs_loses_its_header_menus_and_footer(tmp_path: Path) -> None:
    # an older intranet page: no nav, header or footer tags, only ids and classes
    page = tmp_path / "claims.html"
    page.write_text(
        "<html><head><title>Claims | Intranet</title></head><body>"
        '<div id="header"><a href="/">Intranet</a> Welcome, guest</div>'
        '<div class="navbar"><ul class="main-menu"><li><a href="/">Home</a></li></ul></div>'
        '<div class="layout-with-footer"><div class="page-header"><h1>Claims policy</h1>'
        "<p>Owned by the claims office.</p></div>"
        "<p>Claims are settled within ten days.</p></div>"
        '<div id="footer">Copyright 2026. Service desk +1 555 0100.</div>'
        "</body></html>",
        encoding="utf-8",
    )
    doc = load_document(page)
    assert doc.title == "Claims policy"
    assert [b.text for b in doc.blocks] == [
        "Owned by the claims office.",
        "Claims are settled within ten days.",
    ]


PAGE = """<!doctype html><html><head>
<title>Incident handling | Northwind Intranet</title>
<link rel="canonical" href="https://intranet.example.com/ops/incidents">
<style>p { color: red }</style><script>trackVisit();</script>
</head><body>
<header class="site-header"><a href="/">Home</a> <a href="/ops">Operations</a></header>
<div id="cookie-consent">We use cookies to improve your visit. Accept all?</div>
<nav>Home | Teams | Search</nav>
<div role="navigation">Previous page | Next page</div>
<main>
  <article>
    <header><h1>Incident handling</h1><p class="byline">Updated by the ops team</p></header>
    <h2>Severity levels</h2>
    <p>A severity one incident stops a business process for more than one unit.</p>
    <h3>Paging</h3>
    <div>The on-call engineer is paged within five minutes.</div>
    <ul><li>Open a ticket.</li><li>Post in the incident channel.</li></ul>
    <h2>Review</h2>
    <p>Every severity one incident gets a written review within a week.</p>
    <form><input name="q"><button>Search</button></form>
  </article>
  <aside>Related: Holiday calendar</aside>
</main>
<div class="newsletter-banner">Subscribe to our newsletter</div>
<footer>Copyright Northwind. Imprint. Privacy.</footer>
<noscript>Please enable JavaScript.</noscript>
</body></html>"""


def test_html_keeps_the_article_with_its_heading_path_and_drops_boilerplate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "incidents.html"
    path.write_text(PAGE)
    doc = load_document(path)
    assert doc.title == "Incident handling"
    assert doc.url == "https://intranet.example.com/ops/incidents"
    assert doc.meta["byline"] == "Updated by the ops team"
    assert [(b.section, b.text) for b in doc.blocks] == [
        (
            "Severity levels",
            "A severity one incident stops a business process for more than one unit.",
        ),
        ("Severity levels > Paging", "The on-call engineer is paged within five minutes."),
        ("Severity levels > Paging", "Open a ticket."),
        ("Severity levels > Paging", "Post in the incident channel."),
        ("Review", "Every severity one incident gets a written review within a week."),
    ]
    text = " ".join(b.text for b in doc.blocks)
    for boilerplate in (
        "cookies",
        "Teams",
        "Next page",
        "Search",
        "Holiday",
        "newsletter",
        "Copyright",
        "JavaScript",
        "trackVisit",
        "color",
    ):
        assert boilerplate not in text


def test_html_classes_that_only_mention_a_banner_do_not_drop_the_page(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html><body class="has-cookie-banner"><div id="page" class="no-sidebar">'
        '<div class="content"><h2>Rates</h2><p>Tokens are billed at cost.</p></div>'
        '<div class="cookie-notice">We use cookies.</div></div></body></html>'
    )
    doc = load_document(path)
    assert [(b.section, b.text) for b in doc.blocks] == [("Rates", "Tokens are billed at cost.")]


def test_html_breadcrumb_trails_are_dropped_by_class_or_by_shape(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><main>"
        '<p class="crumbs"><a href="/a">Spine</a> &rsaquo; <a href="/b">Portfolio</a> &rsaquo; '
        "Handover</p>"
        '<div><a href="/a">Spine</a> &raquo; <a href="/c">Models</a> &raquo; Retiring</div>'
        "<article><h1>Handover</h1><p>The outgoing owner gives 20 working days' notice "
        "&rsaquo; always in writing.</p></article></main></body></html>"
    )
    text = " ".join(b.text for b in load_document(path).blocks)
    assert "Portfolio" not in text and "Models" not in text
    # a sentence that happens to hold the character is kept
    assert "20 working days' notice › always in writing." in text


def test_an_author_name_set_as_a_heading_is_a_byline_not_a_section(tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text(
        "<html><body><article><h1>Scaling assistants</h1><h2>Marta Lindgren</h2>"
        "<p>Most firms start with one team that builds every assistant itself.</p>"
        "<h2>Funding</h2><p>The central team is paid for by the units it serves.</p>"
        "</article></body></html>"
    )
    doc = load_document(path)
    assert doc.meta["byline"] == "Marta Lindgren"
    assert [b.section for b in doc.blocks] == ["", "Funding"]


def test_html_without_canonical_link_uses_og_url_and_ignores_unsafe_links(
    tmp_path: Path,
) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html><head><meta property="og:url" content="https://wiki.example.com/faq">'
        "</head><body><h1>FAQ</h1><p>Answers to common questions.</p></body></html>"
    )
    assert load_document(path).url == "https://wiki.example.com/faq"
    path.write_text(
        '<html><head><link rel="canonical" href="javascript:alert(1)"></head>'
        "<body><p>Text.</p></body></html>"
    )
    assert load_document(path).url is None


ARTICLE = "\n".join(
    [
        "Christian Gralingen",
        "Teams that share one platform team scale faster than teams that each build alone, "
        "and this holds across every industry we looked at in the interviews that we ran "
        "last year with practitioners.",
        "Why a central team helps",
        "A central team keeps the reusable parts in one place. It reviews risks early, so "
        "they do not block a launch at the last moment, and it knows which use cases "
        "already exist in other units of the firm.",
    ]
)


def test_an_author_line_is_a_byline_not_a_section(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    doc = load_document(path)
    assert doc.meta["byline"] == "Christian Gralingen"
    assert [b.section for b in doc.blocks] == ["", "Why a central team helps"]
    assert all("Gralingen" not in b.text for b in doc.blocks)


def test_plain_text_headings_by_shape_numbered_underlined_and_followed_by_body(
    tmp_path: Path,
) -> None:
    path = tmp_path / "report.txt"
    path.write_text(
        "Platform Review\n===============\n\n"
        "The review covers the first year of the shared platform and its costs.\n\n"
        "2. Findings\n\n"
        "Most units reuse the retrieval service instead of building their own copy.\n\n"
        "2.1 Costs\n"
        "Hosting costs fell by a fifth after the move to the shared cluster in spring.\n"
        "The savings were passed on to the units through lower monthly rates.\n\n"
        "By Dana Smith\n\n"
        "Open questions remain\n"
    )
    doc = load_document(path)
    assert [(b.section, b.text[:24]) for b in doc.blocks] == [
        ("Platform Review", "The review covers the fi"),
        ("2. Findings", "Most units reuse the ret"),
        ("2. Findings > 2.1 Costs", "Hosting costs fell by a "),
        ("2. Findings > 2.1 Costs", "By Dana Smith"),
        ("2. Findings > 2.1 Costs", "Open questions remain"),
    ]


def test_a_plain_text_list_under_its_lead_line_keeps_one_line_per_item(tmp_path: Path) -> None:
    from knowledge.passages import units

    path = tmp_path / "checks.txt"
    path.write_text(
        "Night checks\n\n"
        "The operator looks at three gauges every night:\n"
        "- the boiler pressure, which must stay between 1.2 and\n"
        "  1.8 bar;\n"
        "- the tank level;\n"
        "- the return temperature.\n\n"
        "A reading outside its band is logged - and the engineer is called.\n"
    )
    doc = load_document(path)
    assert [b.text for b in doc.blocks] == [
        "The operator looks at three gauges every night:\n"
        "- the boiler pressure, which must stay between 1.2 and 1.8 bar;\n"
        "- the tank level;\n"
        "- the return temperature.",
        "A reading outside its band is logged - and the engineer is called.",
    ]
    listed = [u for u in units(doc.blocks[0].text) if u.items]
    assert listed[0].lead == "The operator looks at three gauges every night"
    assert listed[0].items == (
        "the boiler pressure, which must stay between 1.2 and 1.8 bar",
        "the tank level",
        "the return temperature.",
    )


def test_in_numbered_text_a_table_cell_is_no_heading_and_a_heading_may_close_a_paragraph(
    tmp_path: Path,
) -> None:
    path = tmp_path / "study.txt"
    path.write_text(
        "1. Introduction\n\n"
        "Firms struggle to scale their models beyond a first pilot in one unit.\n"
        "We study how they get past that point.\n"
        "2. Data and methods\n\n"
        "We analysed twenty interviews with practitioners from many industries.\n\n"
        "Table 2\nPhases and components.\n\n"
        "Reuse capabilities in\ndifferent contexts\n\n"
        "Data-driven innovation\n\n"
        "Develop horizontal capabilities that work across business lines of the firm.\n\n"
        "3. Findings\n\n"
        "3.1. Level 1\n\n"
        "The first phase proves the concept with one small, valuable use case.\n"
        "It needs no platform of its own yet, only data and a sponsor\n"
        "3.2. Level 2\n\n"
        "The second phase runs several use cases in production on one platform.\n\n"
        "References\n\n"
        "Fisher, A. (2020). Podcasts as data. Journal of Methods, 12, 1-10.\n"
    )
    sections = list(dict.fromkeys(b.section for b in load_document(path).blocks))
    assert sections == [
        "1. Introduction",
        "2. Data and methods",
        "3. Findings > 3.1. Level 1",
        "3. Findings > 3.2. Level 2",
        "References",
    ]


def test_text_from_a_pdf_gets_its_hyphens_and_page_break_splits_repaired(
    tmp_path: Path,
) -> None:
    path = tmp_path / "study.txt"
    path.write_text(
        "1. Introduction\n\n"
        "Firms that scale their models build socio-technical capabilities in their or-\n\n"
        "ganizations. The socio-technical view and the imple-\n"
        "mentation plan go together, and the plan is\n\n"
        "revised every quarter by the steering group.\n"
    )
    doc = load_document(path)
    assert [(b.section, b.text) for b in doc.blocks] == [
        (
            "1. Introduction",
            "Firms that scale their models build socio-technical capabilities in their "
            "organizations. The socio-technical view and the implementation plan go together, "
            "and the plan is revised every quarter by the steering group.",
        )
    ]


def test_hyphen_repair_keeps_compounds_the_text_writes_with_a_hyphen() -> None:
    text = "a well-known case and a well-\nknown rule; the imple-\nmentation"
    assert repair_hyphens(text) == "a well-known case and a well-known rule; the implementation"


def test_hyphen_repair_keeps_two_words_the_text_uses_on_their_own() -> None:
    text = "two teams work in two-\nweek sprints; a week is short; the sprint re-\nview"
    assert repair_hyphens(text) == (
        "two teams work in two-week sprints; a week is short; the sprint review"
    )


def test_only_absolute_http_links_are_accepted() -> None:
    assert safe_url("https://wiki.example.com/a?b=1") == "https://wiki.example.com/a?b=1"
    for bad in (
        "javascript:alert(1)",
        "ftp://x/y",
        "/relative",
        "https://x/a|b",
        "https://x/<b>",
        "https:///nohost",
        "",
        None,
    ):
        assert safe_url(bad) is None
    assert (
        file_url("https://git.example.com/org/repo/blob/main/docs/", "playbooks/phase gates.md")
        == "https://git.example.com/org/repo/blob/main/docs/playbooks/phase%20gates.md"
    )
    assert file_url("", "x.md") is None


def test_every_chunk_carries_the_documents_link_and_format(tmp_path: Path) -> None:
    path = tmp_path / "handbook.pdf"
    path.write_bytes(handbook_pdf())
    doc = load_document(path, link="https://files.example.com/handbook.pdf")
    chunks = chunk_document(doc)
    assert {c.url for c in chunks} == {"https://files.example.com/handbook.pdf"}
    assert {c.metadata()["format"] for c in chunks} == {"pdf"}
    assert chunks[0].metadata()["url"] == "https://files.example.com/handbook.pdf"


def test_the_bundled_corpus_keeps_notes_about_its_own_files_out_of_the_body() -> None:
    from knowledge.documents import CORPUS_DIR, discover

    for path in discover([CORPUS_DIR]):
        doc = load_document(path)
        body = " ".join(block.text for block in doc.blocks)
        for phrase in ("seed file", "(seed `", "Research note", " of 3,"):
            assert phrase not in body, (path.name, phrase)
        assert all(not b.section or b.section.strip() for b in doc.blocks)


def test_an_author_line_under_a_pdf_title_is_a_byline_not_text(tmp_path: Path) -> None:
    path = tmp_path / "memo.pdf"
    body = "The spine team reviews every new use case within two weeks of its registration."
    path.write_bytes(
        layout_pdf(
            [
                [
                    (20, "Review memo", None),
                    (11, "Dana Smith", None),
                    (11, body, None),
                ]
            ]
        )
    )
    doc = load_document(path)
    assert doc.title == "Review memo"
    assert doc.meta["byline"] == "Dana Smith"
    assert [(b.section, b.text) for b in doc.blocks] == [("", body)]


def test_a_list_is_not_cut_between_two_chunks_while_it_fits(tmp_path: Path) -> None:
    path = tmp_path / "shifts.md"
    intro = " ".join(["The change touches how every team plans and decides its work."] * 11)
    items = "\n".join(f"- From habit number {n} to a better habit" for n in range(1, 6))
    path.write_text(f"# Shifts\n\n{intro}\n\n{items}\n\nAfter the list comes more text.\n")
    chunks = chunk_document(load_document(path))
    holding = [c for c in chunks if "habit number" in c.text]
    assert len(holding) == 1 and all(f"number {n} " in holding[0].text for n in range(1, 6))


def test_pdf_list_items_are_blocks_of_their_own_even_across_a_page_break(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shifts.pdf"
    wide = "Teams that change how they work need support from the top and time to learn it."
    path.write_bytes(
        layout_pdf(
            [
                [
                    (11, wide, None),
                    (11, wide, None),
                    (11, "- From guessing to measuring", None),
                    (11, "- From silos to shared teams", None),
                ],
                [(11, "A change like this takes a year and starts with the leaders.", None)],
            ]
        )
    )
    texts = [block.text for block in load_document(path).blocks]
    assert "- From guessing to measuring" in texts[-3]
    assert texts[-2].endswith("From silos to shared teams")
    assert texts[-1].startswith("A change like this")


ROWS = [
    "Data: Prompts and replies; Kept for: 30 days; Where: the log store.",
    "Data: Token counts; Kept for: 7 years; Where: the finance warehouse.",
]


def test_a_table_row_is_quotable_alone_under_its_column_headings(tmp_path: Path) -> None:
    import docx

    markdown = tmp_path / "retention.md"
    markdown.write_text(
        "# Retention\n\n| Data | Kept for | Where |\n| --- | --- | --- |\n"
        "| Prompts and replies | 30 days | the log store |\n"
        "| Token counts | 7 years | the finance warehouse |\n",
        encoding="utf-8",
    )
    html = tmp_path / "retention.html"
    html.write_text(
        "<html><body><main><h1>Retention</h1><table>"
        "<tr><th>Data</th><th>Kept for</th><th>Where</th></tr>"
        "<tr><td>Prompts and replies</td><td>30 days</td><td>the log store</td></tr>"
        "<tr><td>Token counts</td><td>7 years</td><td>the finance warehouse</td></tr>"
        "</table></main></body></html>",
        encoding="utf-8",
    )
    document = docx.Document()
    document.add_paragraph("Retention", style="Title")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [
            ("Data", "Kept for", "Where"),
            ("Prompts and replies", "30 days", "the log store"),
            ("Token counts", "7 years", "the finance warehouse"),
        ]
    ):
        for c, text in enumerate(row):
            table.rows[r].cells[c].text = text
    word = tmp_path / "retention.docx"
    document.save(str(word))
    for path in (markdown, html, word):
        assert [b.text for b in load_document(path).blocks] == ROWS, path.suffix


def test_a_nested_markdown_list_stays_inside_its_parent_item(tmp_path: Path) -> None:
    path = tmp_path / "labels.md"
    path.write_text(
        "# Labels\n\nThe labels:\n\n- **new** - registered this week.\n"
        "- **drop candidate** - any one of these:\n  - **no value** - nothing reported;\n"
        "  - **falling** - four weeks down.\n- **steady** - none of the above.\n",
        encoding="utf-8",
    )
    assert [b.text for b in load_document(path).blocks] == [
        "The labels:",
        "new - registered this week.",
        "drop candidate - any one of these: no value - nothing reported; falling - four weeks"
        " down.",
        "steady - none of the above.",
    ]


def test_a_plain_text_first_line_that_names_the_file_is_its_title(tmp_path: Path) -> None:
    body = (
        "Owner: platform lead. Version 3, in force from 1 May 2027.\n\n"
        "Why we do it\n\n"
        "Teams keep asking for the same connectors, so the spine builds them once.\n"
    )
    named = tmp_path / "connector-requests.txt"
    named.write_text("Connector requests: how the spine decides what to build\n\n" + body)
    doc = load_document(named)
    assert doc.title == "Connector requests: how the spine decides what to build"
    assert [b.section for b in doc.blocks] == ["", "Why we do it"]
    # a first heading that is not the file's name is a section, as before
    other = tmp_path / "notes.txt"
    other.write_text("Connector requests\n\n" + body)
    doc = load_document(other)
    assert doc.title == "Notes"
    assert [b.section for b in doc.blocks] == ["Connector requests", "Why we do it"]


def test_numbered_headings_nest_by_their_numbers_where_the_markup_is_flat(
    tmp_path: Path,
) -> None:
    # every heading an h2, as many exported pages are: "2.1" still belongs under "2."
    page = tmp_path / "reserves.html"
    page.write_text(
        "<html><body><main><h1>Reserve suggestions</h1>"
        "<h2>1. Scope</h2><p>Property and motor claims only.</p>"
        "<h2>2. Inputs</h2><p>Three sources feed each suggestion.</p>"
        "<h2>2.1 Documents</h2><p>Invoices and engineer reports are read.</p>"
        "<h2>2.2 History</h2><p>Closed claims of the same kind are compared.</p>"
        "<h2>2.2.1 Weighting</h2><p>Recent claims count twice.</p>"
        "<h2>3. Roles</h2><p>The handler sets the reserve.</p>"
        "<h2>4.1 Orphan</h2><p>A subsection whose section is missing.</p>"
        "</main></body></html>",
        encoding="utf-8",
    )
    sections = [b.section for b in load_document(page).blocks]
    assert sections == [
        "1. Scope",
        "2. Inputs",
        "2. Inputs > 2.1 Documents",
        "2. Inputs > 2.2 History",
        "2. Inputs > 2.2 History > 2.2.1 Weighting",
        "3. Roles",
        "4.1 Orphan",
    ]


def test_html_terms_folded_questions_and_row_headings_keep_what_they_label(
    tmp_path: Path,
) -> None:
    page = tmp_path / "glossary.html"
    page.write_text(
        "<html><body><main><h1>Gateway glossary</h1><h2>Terms</h2>"
        "<dl><dt>Quota</dt><dd>Requests a team may send each minute.</dd>"
        "<dt>Fallback model:</dt><dd><p>The model that answers when the first fails.</p></dd></dl>"
        "<h2>Contacts</h2><table><tr><th>Owner</th><td>The gateway product lead</td></tr>"
        "<tr><th>Hours</th><td>08:00 to 18:00 CET</td></tr></table>"
        "<details><summary>What happens above the quota?</summary>"
        "<p>Requests get a 429 answer.</p></details>"
        "<p>Quotas are reviewed every quarter.</p></main></body></html>",
        encoding="utf-8",
    )
    blocks = [(b.section, b.text) for b in load_document(page).blocks]
    assert blocks == [
        ("Terms", "Quota: Requests a team may send each minute."),
        ("Terms", "Fallback model: The model that answers when the first fails."),
        ("Contacts", "Owner: The gateway product lead."),
        ("Contacts", "Hours: 08:00 to 18:00 CET."),
        ("Contacts > What happens above the quota?", "Requests get a 429 answer."),
        ("Contacts", "Quotas are reviewed every quarter."),
    ]
