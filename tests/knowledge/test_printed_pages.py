"""A web page saved as PDF from a browser: the print header and footer, and the site
around the article (banner, menu, footer), are not the document's text."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from knowledge.documents import chunk_document, load_document

BODY = [
    ("h", "When a version is retired"),
    ("p", "Hosted model versions are switched off ninety days after a successor is named."),
    ("p", "Owners move their prompts to the successor and rerun their evaluation set first."),
    ("h", "Records"),
    ("p", "The gateway keeps the date each use case moved, for audits."),
]


def cell(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def printed_page(
    path: Path, *, browser: bool = True, pages: int = 1, sidebar: bool = False
) -> None:
    """A page laid out as Chromium prints it: the date, time and <title> in small type at
    the top, the address and "page/pages" at the bottom, and the site's cookie banner, name
    and menu above the article's title, its copyright footer below the article."""
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(False)
    pdf.set_title("Retiring a model version | Team wiki")
    for number in range(1, pages + 1):
        pdf.add_page()
        if browser:
            pdf.set_font("Helvetica", size=8)
            pdf.text(10, 8, "12/2/26, 2:16 PM Retiring a model version | Team wiki")
            pdf.text(10, 272, f"file:///srv/wiki/model-retirement.html {number}/{pages}")
        pdf.set_y(16)
        if number == 1:
            pdf.set_font("Helvetica", size=12)
            cell(pdf, 6, "We use cookies to count visits. Manage your choices at any time.")
            pdf.set_font("Helvetica", size=10)
            cell(pdf, 6, "Accept all  Decline")
            pdf.set_font("Helvetica", size=12)
            cell(pdf, 6, "Team wiki")
            cell(pdf, 6, "Home  Topics  Search")
            pdf.ln(6)
            pdf.set_font("Helvetica", "B", 24)
            cell(pdf, 12, "Retiring a model version")
            pdf.ln(4)
        for kind, text in BODY:
            if kind == "h":
                pdf.set_font("Helvetica", "B", 18)
                pdf.ln(4)
                cell(pdf, 9, text)
            else:
                pdf.set_font("Helvetica", size=12)
                cell(pdf, 6, text)
                pdf.ln(3)
        if number == pages and sidebar:  # the site's aside, printed after the article
            pdf.ln(6)
            pdf.set_font("Helvetica", "B", 14)
            cell(pdf, 7, "Most popular")
            pdf.set_font("Helvetica", size=12)
            cell(pdf, 6, "Ten questions for your next steering group")
            cell(pdf, 6, "Why pilots stall, and what to do about it")
            cell(pdf, 6, "Get the weekly digest in your inbox.")
        if number == pages:
            pdf.ln(8)
            pdf.set_font("Helvetica", size=12)
            cell(pdf, 6, "(c) 2026 Team wiki. All rights reserved.")
            cell(pdf, 6, "Privacy - Contact - Service desk: extension 4400")
    pdf.output(str(path))


def test_a_printed_web_page_keeps_its_article_and_its_own_title(tmp_path: Path) -> None:
    path = tmp_path / "model-retirement.pdf"
    printed_page(path)
    doc = load_document(path)
    text = "\n".join(block.text for block in doc.blocks)
    assert doc.title == "Retiring a model version"  # not the tab's "... | Team wiki"
    for chrome in ("12/2/26", "file://", "cookies", "Accept all", "Home", "extension 4400"):
        assert chrome not in text, chrome
    assert doc.blocks[0].text.startswith("Hosted model versions are switched off")
    assert doc.blocks[-1].text == "The gateway keeps the date each use case moved, for audits."
    assert {c.section for c in chunk_document(doc)} >= {"When a version is retired", "Records"}


def test_the_browser_footer_of_every_page_of_a_longer_print_goes(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    printed_page(path, pages=2)
    text = "\n".join(block.text for block in load_document(path).blocks)
    assert "file://" not in text and "2:16 PM" not in text and "Team wiki." not in text
    assert text.count("Hosted model versions are switched off") == 2


def test_the_sites_sidebar_printed_after_the_article_goes(tmp_path: Path) -> None:
    path = tmp_path / "with-aside.pdf"
    printed_page(path, sidebar=True)
    doc = load_document(path)
    text = "\n".join(block.text for block in doc.blocks)
    assert "Why pilots stall" not in text and "weekly digest" not in text
    assert doc.blocks[-1].text == "The gateway keeps the date each use case moved, for audits."
    assert all("Most popular" not in block.section for block in doc.blocks)
    memo = tmp_path / "memo-with-reading.pdf"  # not printed by a browser: its own text
    printed_page(memo, browser=False, sidebar=True)
    assert "Why pilots stall" in "\n".join(b.text for b in load_document(memo).blocks)


def test_a_sidebar_printed_beside_the_article_goes_and_the_article_keeps_its_sections(
    tmp_path: Path,
) -> None:
    # Chromium prints a floated aside in a column right of the article's end, its lines
    # first in the page's text: "Related pages", links wrapped to the column, a help box
    path = tmp_path / "side.pdf"
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.text(10, 8, "12/2/26, 2:16 PM Retiring a model version | Team wiki")
    pdf.text(10, 290, "file:///srv/wiki/model-retirement.html 1/1")
    pdf.set_xy(150, 120)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(50, 7, "Related pages", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    for link in ("Moving prompts to a", "successor model", "Questions? Ask the", "gateway team."):
        pdf.multi_cell(50, 6, link, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(10, 20)
    pdf.set_font("Helvetica", "B", 24)
    pdf.multi_cell(130, 12, "Retiring a model version", new_x="LMARGIN", new_y="NEXT")
    for kind, text in BODY:
        pdf.set_font("Helvetica", "B" if kind == "h" else "", 18 if kind == "h" else 12)
        pdf.multi_cell(130, 9 if kind == "h" else 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    doc = load_document(path)
    text = "\n".join(block.text for block in doc.blocks)
    assert "successor model" not in text and "gateway team" not in text
    assert all("Related pages" not in block.section for block in doc.blocks)
    assert (doc.blocks[-1].section, doc.blocks[-1].text) == (
        "Records",
        "The gateway keeps the date each use case moved, for audits.",
    )


def test_a_pdf_not_printed_from_a_browser_keeps_its_first_lines_and_its_footer(
    tmp_path: Path,
) -> None:
    # the same layout without the browser's footer: a dated first line and a closing
    # copyright line may be the document's own text, and stay
    path = tmp_path / "memo.pdf"
    printed_page(path, browser=False)
    text = "\n".join(block.text for block in load_document(path).blocks)
    assert "We use cookies to count visits." in text
    assert "extension 4400" in text


def test_a_list_with_drawn_bullets_keeps_one_block_per_item(tmp_path: Path) -> None:
    # a browser prints <li> markers as drawings: the items are only lines indented from
    # the text's edge, a wrapped item's second line indented too; a sentence carried on
    # at the edge after an item still belongs to it, the paragraph after the list not
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    cell(pdf, 9, "Booking a slot")
    pdf.set_font("Helvetica", size=12)
    cell(pdf, 6, "Clinics are booked in the staff tool. The rules for a booking are these:")
    items = [
        "Book at least two working days before the session.",
        "Each booked slot lasts 25 minutes; the last half hour of every clinic is kept "
        "free for walk-ins and for teams whose problem came up on the day itself.",
        "Cancel at least four hours ahead, or the team cannot book for the next",
    ]
    for item in items:
        pdf.set_x(pdf.l_margin + 10)
        pdf.circle(pdf.l_margin + 5, pdf.get_y() + 3, 1.2, style="F")
        pdf.multi_cell(150, 6, item, new_x="LMARGIN", new_y="NEXT")
    cell(pdf, 6, "four weeks.")
    pdf.ln(3)
    cell(pdf, 6, "Sessions are held online, in English unless a host is asked for in advance.")
    path = tmp_path / "booking.pdf"
    pdf.output(str(path))
    texts = [b.text for b in load_document(path).blocks]
    assert texts == [
        "Clinics are booked in the staff tool. The rules for a booking are these:",
        "- Book at least two working days before the session.",
        "- Each booked slot lasts 25 minutes; the last half hour of every clinic is kept "
        "free for walk-ins and for teams whose problem came up on the day itself.",
        "- Cancel at least four hours ahead, or the team cannot book for the next four weeks.",
        "Sessions are held online, in English unless a host is asked for in advance.",
    ]


def test_a_fixed_cookie_banner_printed_over_the_text_of_every_page_goes(tmp_path: Path) -> None:
    """A browser prints a fixed banner on every page, over whatever lies there: its words
    must not run into the line of text they cover, and its buttons are no text either."""
    path = tmp_path / "banner.pdf"
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(False)
    rows = [
        ("Renewal query", "Renewal desk"),
        ("Loss notification", "Commercial claims intake"),
        ("Complaint", "Complaints team"),
    ]
    for number, (category, desk) in enumerate(rows, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.text(10, 8, "12/2/26, 2:16 PM Routing broker mail | Team wiki")
        pdf.text(10, 272, f"file:///srv/wiki/routing.html {number}/{len(rows)}")
        pdf.set_font("Helvetica", size=12)
        for k in range(8):
            pdf.text(10, 30 + 12 * k, f"Paragraph {k + 1} tells more about {category.lower()}.")
        # the page's last line of text, with the banner's first line printed beside it
        pdf.text(10, 240, f"{category} goes to the {desk}.")
        pdf.text(120, 240, "This wiki sets cookies to keep")
        pdf.text(120, 247, "you signed in to the site.")
        if number == 1:
            pdf.set_font("Helvetica", size=10)
            pdf.text(120, 256, "Accept all cookies")
            pdf.text(160, 256, "Necessary cookies only")
    pdf.output(str(path))
    doc = load_document(path)
    text = "\n".join(block.text for block in doc.blocks)
    assert "cookies" not in text and "signed in" not in text
    for category, desk in rows:
        assert f"{category} goes to the {desk}." in text
    assert "Paragraph 1 tells more about complaint." in text
