"""Render evaluation documents into other formats at bench time (nothing binary is committed).

* :func:`text_blocks` turns a plain text (a raw seed file, hard-wrapped or one paragraph per
  line) into ``(kind, text)`` blocks: ``h`` headings, ``li`` list items, ``p`` paragraphs;
  :func:`markdown_blocks` does the same for the simple Markdown of ``bench/eval/company/render``.
* :func:`write_html` wraps the blocks in a web page with the usual boilerplate around the
  article: a cookie banner, site navigation, an aside, a footer and scripts.
* :func:`write_pdf` lays them out as a paginated A4 PDF with a running header and page
  numbers (fpdf2, core fonts: text is folded to Latin-1).
* :func:`write_docx` writes a Word file with Title / Heading / List Bullet styles.
* :func:`hand_company` rewrites every company document with its headings formatted by
  hand, as many are: Word files with bold (and larger) Normal paragraphs and no heading
  styles or title property, web pages with bold paragraphs and no heading tags,
  Markdown with bold lines and no ``#``.
* :func:`print_pages` prints web pages to PDF with headless Chromium, as "Save as PDF"
  does (the browser's date-and-title header, address-and-page footer, and the site's
  banner, menu, aside and footer printed with the article); only where a Chromium is
  installed (``SPINEBOT_CHROMIUM`` or ``chromium`` on the PATH).

The same texts in these shapes test that loaders keep the article and drop the rest; the
answering passages are found by the same anchors as in the plain files.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

Block = tuple[str, str]  # (kind, text): kind is "h", "h2", "li", "p" or "tr" (cells tab-separated)

_HYPHEN_BREAK = re.compile(r"(\w)-\n(\s*)([a-z])")
_LIST = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _join_lines(lines: list[str], words: Counter[str] | None = None) -> str:
    """Lines of one paragraph as a web page or word processor would hold them: one line,
    end-of-line hyphenation repaired (``organ-`` + ``izations``), real hyphens kept: a
    compound of two words the whole text also uses on their own ("two-" + "week") keeps
    its hyphen, as the author wrote it."""
    text = "\n".join(line.strip() for line in lines)
    counts = words or Counter()

    def join(match: re.Match[str]) -> str:
        head = re.findall(r"[A-Za-z0-9]+$", text[: match.start() + 1])
        tail = re.match(r"[a-z]+", text[match.end() - 1 :])
        left = head[0].lower() if head else ""
        right = tail.group(0) if tail else ""
        if counts[left] and counts[right] and len(left) > 2 and len(right) > 2:
            return f"{match.group(1)}-{match.group(3)}"
        return match.group(1) + match.group(3)

    text = _HYPHEN_BREAK.sub(join, text)
    return " ".join(text.split())


_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+(?=[A-Z])")


def _looks_like_heading(text: str) -> bool:
    """Short, capitalised, no closing punctuation; a section number ("4.2.1.") may lead."""
    text = _SECTION_NUMBER.sub("", text.strip())
    words = text.split()
    return (
        0 < len(words) <= 10
        and len(text) <= 80
        and not text.rstrip().endswith((".", ",", ";", ":", "?", "!", "”", '"', "-"))
        and text[:1].isupper()
    )


_NUMBERED_HEADING = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*\.\s+[A-Z]")
_SUBSECTION = re.compile(r"^\s*\d{1,2}\.\d{1,2}(?:\.\d{1,2})*\.\s")  # "5.2.": never a sentence


def _split_numbered_headings(para: list[str]) -> list[list[str]]:
    """A numbered heading typed on the line right after a paragraph ("... process." /
    "3. Data and methods"), with no blank line between, is a heading of its own: a
    word processor or PDF shows it as one."""
    out: list[list[str]] = [[]]
    for n, line in enumerate(para):
        if (
            n > 0
            and _NUMBERED_HEADING.match(line)
            and _looks_like_heading(line)
            and (
                _SUBSECTION.match(line)
                or para[n - 1].rstrip().endswith((".", "?", "!", ":", "”", '"'))
            )
        ):
            out += [[line], []]
        else:
            out[-1].append(line)
    return [part for part in out if part]


def text_blocks(text: str) -> list[Block]:
    """Blocks of a raw text. A text with blank-line paragraphs (the hard-wrapped study) is
    read paragraph by paragraph; otherwise every line is its own paragraph."""
    lines = text.replace("\r\n", "\n").split("\n")
    # the words the text uses away from any line-end break ("two-" / "week" elsewhere)
    words = Counter(re.findall(r"[a-z0-9]+", re.sub(r"\w+-\n\s*[a-z]\w*", " ", text).lower()))
    blank = sum(1 for line in lines if not line.strip())
    blocks: list[Block] = []
    if blank >= 10:
        paragraphs: list[list[str]] = [[]]
        for line in lines:
            if line.strip():
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        merged: list[list[str]] = []
        for para in paragraphs:
            if not para:
                continue
            # a word hyphenated across a page or column break: "or-" / "ganizations"
            if merged and re.search(r"[a-z]-$", merged[-1][-1].rstrip()) and para[0][:1].islower():
                merged[-1] += para
            else:
                merged.append(para)
        merged = [part for para in merged for part in _split_numbered_headings(para)]
        for para in merged:
            if len(para) <= 2 and all(_looks_like_heading(line) for line in para):
                blocks += [("h", line.strip()) for line in para]
            else:
                blocks.append(("p", _join_lines(para, words)))
        return blocks
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if _LIST.match(stripped):
            blocks.append(("li", _LIST.sub("", stripped)))
        elif _looks_like_heading(stripped):
            blocks.append(("h", stripped))
        else:
            blocks.append(("p", stripped))
    return blocks


def markdown_blocks(text: str) -> tuple[str, list[Block]]:
    """Title and blocks of the simple Markdown used for the company sources."""
    title = ""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("p", " ".join(" ".join(para).split())))
            para.clear()

    item = False  # the last line was (part of) a list item: a line under it goes on with it
    for line in text.splitlines():
        stripped = line.strip()
        if item and stripped and not _LIST.match(stripped) and stripped[0] not in "#|":
            kind, before = blocks[-1]
            blocks[-1] = (kind, f"{before} {stripped}")
            continue
        item = False
        if not stripped:
            flush()
        elif stripped.startswith("# ") and not title:
            flush()
            title = stripped[2:].strip()
        elif stripped.startswith("#"):
            flush()
            blocks.append(("h", stripped.lstrip("#").strip()))
        elif stripped.startswith("|") and stripped.endswith("|"):
            flush()
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                blocks.append(("tr", "\t".join(cells)))  # a row, the separator row left out
        elif _LIST.match(stripped):
            flush()
            blocks.append(("li", _LIST.sub("", stripped)))
            item = True
        else:
            para.append(stripped)
    flush()
    return title, blocks


def _tables(blocks: list[Block]) -> list[tuple[str, str] | list[list[str]]]:
    """The blocks with each run of table rows gathered into one list of rows."""
    out: list[tuple[str, str] | list[list[str]]] = []
    for kind, text in blocks:
        if kind == "tr":
            if not out or not isinstance(out[-1], list):
                out.append([])
            last = out[-1]
            assert isinstance(last, list)
            last.append(text.split("\t"))
        else:
            out.append((kind, text))
    return out


def write_html(
    path: Path, title: str, blocks: list[Block], *, site: str = "Research library"
) -> None:
    """A web page: the article inside cookie banner, navigation, aside, footer and scripts."""
    body: list[str] = [f"<h1>{html.escape(title)}</h1>"]
    in_list = False
    in_table = False
    for kind, text in blocks:
        if kind == "tr":
            cell = "td" if in_table else "th"
            if not in_table:
                body.append("<table>")
                in_table = True
            cells = "".join(f"<{cell}>{html.escape(c)}</{cell}>" for c in text.split("\t"))
            body.append(f"<tr>{cells}</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if kind == "li" and not in_list:
            body.append("<ul>")
            in_list = True
        elif kind != "li" and in_list:
            body.append("</ul>")
            in_list = False
        tag = {"h": "h2", "li": "li", "p": "p"}.get(kind, "p")
        body.append(f"<{tag}>{html.escape(text)}</{tag}>")
    if in_list:
        body.append("</ul>")
    if in_table:
        body.append("</table>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | {html.escape(site)}</title>
<script>window.dataLayer = []; function track(e) {{ dataLayer.push(e); }} track("view");</script>
<style>nav li {{ display: inline; }}</style>
</head><body>
<div id="cookies" class="cookie-banner"><p>This site uses cookies for statistics and to keep
you signed in. Read our cookie statement to learn more.</p><button>Accept</button>
<button>Reject non-essential</button></div>
<header><a href="/">{html.escape(site)}</a>
<nav><ul><li><a href="/topics">Topics</a></li><li><a href="/reports">Reports</a></li>
<li><a href="/events">Events</a></li><li><a href="/subscribe">Subscribe</a></li>
<li><a href="/login">Sign in</a></li></ul></nav></header>
<main><article>
{chr(10).join(body)}
</article>
<aside><h3>Most popular</h3><ul><li><a href="/a">Ten questions for your next board meeting</a></li>
<li><a href="/b">Why pilots stall, and what to do about it</a></li></ul>
<p>Get the weekly newsletter in your inbox.</p></aside></main>
<footer><p>&copy; 2026 {html.escape(site)}. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> &middot; <a href="/terms">Terms of use</a> &middot;
<a href="/contact">Contact us</a> &middot; Customer service: +1 555 0100</p></footer>
<script>document.getElementById("cookies").hidden = !!localStorage.consent;</script>
</body></html>
"""
    path.write_text(page, encoding="utf-8")


_LATIN1 = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "→": "->",
        "\u00a0": " ",
    }
)


def _latin1(text: str) -> str:
    text = text.translate(_LATIN1)
    text = unicodedata.normalize("NFKC", text)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(path: Path, title: str, blocks: list[Block], *, running_header: str) -> None:
    """A paginated A4 PDF with ``running_header`` on top of and a page number under every page."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    header_text = _latin1(running_header)

    class Paged(FPDF):  # type: ignore[misc]
        def header(self) -> None:
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 6, header_text, align="R")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Paged(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for item in _tables(blocks):
        if isinstance(item, list):
            pdf.set_font("Helvetica", "", 9)
            with pdf.table() as table:
                for cells in item:
                    row = table.row()
                    for cell in cells:
                        row.cell(_latin1(cell))
            pdf.ln(2)
            continue
        kind, text = item
        if kind == "h":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 6, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif kind == "li":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, "- " + _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
    pdf.output(str(path))


def write_docx(path: Path, title: str, blocks: list[Block]) -> None:
    """A Word file: Title, Heading 1 and List Bullet styles, plain paragraphs."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph(title, style="Title")
    for item in _tables(blocks):
        if isinstance(item, list):
            table = document.add_table(rows=len(item), cols=max(map(len, item)))
            table.style = "Table Grid"
            for row, cells in zip(table.rows, item, strict=True):
                for target, cell in zip(row.cells, cells, strict=False):
                    target.text = cell
            continue
        kind, text = item
        if kind == "h":
            document.add_paragraph(text, style="Heading 1")
        elif kind == "li":
            document.add_paragraph(text, style="List Bullet")
        else:
            document.add_paragraph(text)
    document.save(str(path))


def title_of(path: Path) -> str:
    """A readable title from a file name: ``ai-spine-article.txt`` -> ``Ai spine article``."""
    return path.stem.replace("-", " ").replace("_", " ").capitalize()


def render_seed_variants(seed_file: Path, out_dirs: dict[str, Path]) -> None:
    """Write ``seed_file`` as a web page, a paginated PDF and a Word file (one per out dir)."""
    text = seed_file.read_text(encoding="utf-8")
    blocks = text_blocks(text)
    title = title_of(seed_file)
    stem = seed_file.stem
    if "html" in out_dirs:
        write_html(out_dirs["html"] / f"{stem}.html", title, blocks)
    if "pdf" in out_dirs:
        write_pdf(
            out_dirs["pdf"] / f"{stem}.pdf",
            title,
            blocks,
            running_header=f"Research library - {title} - reprint for internal use",
        )
    if "docx" in out_dirs:
        write_docx(out_dirs["docx"] / f"{stem}.docx", title, blocks)


def render_company(source_dir: Path, out_dir: Path) -> list[Path]:
    """Copy the Markdown/HTML company documents and render ``render/*.md`` to PDF and .docx.

    ``render/NAME.md`` becomes ``NAME.pdf`` for the names in ``PDF_RENDERED`` and a
    ``.docx`` otherwise. Returns the written files.
    """
    written: list[Path] = []
    for doc in sorted((source_dir / "docs").iterdir()):
        if doc.is_file():
            target = out_dir / doc.name
            target.write_bytes(doc.read_bytes())
            written.append(target)
    for doc in sorted((source_dir / "render").glob("*.md")):
        title, blocks = markdown_blocks(doc.read_text(encoding="utf-8"))
        if doc.stem in PDF_RENDERED:
            target = out_dir / f"{doc.stem}.pdf"
            write_pdf(
                target,
                title,
                blocks,
                running_header="Lindqvist & Hale - AI spine - " + title + " - internal",
            )
        else:
            target = out_dir / f"{doc.stem}.docx"
            write_docx(target, title, blocks)
        written.append(target)
    return written


PDF_RENDERED = frozenset(
    {
        "ai-audit-programme",
        "ai-decision-complaints",
        "ai-model-inventory",
        "ai-procurement-panel",
        "ai-vendor-exit-plans",
        "assistant-experiments",
        "claim-payment-checks",
        "answer-localisation",
        "contact-centre-forecasting",
        "cost-review",
        "fraud-signal-review",
        "incident-runbook",
        "model-retirement",
        "quarterly-business-review",
        "premium-credit-control",
        "reserve-suggestions",
        "spine-clinics",
        "spine-secondments",
        "sanctions-alert-review",
        "underwriting-referrals",
        "vendor-due-diligence",
    }
)


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
PRINT_SITE = "Lindqvist & Hale wiki"


def chromium() -> str | None:
    """The headless browser that prints pages: ``SPINEBOT_CHROMIUM`` when set, else the
    first of chromium / chromium-browser / google-chrome on the PATH; None when absent."""
    explicit = os.environ.get("SPINEBOT_CHROMIUM")
    names = [explicit] if explicit else ["chromium", "chromium-browser", "google-chrome"]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pages(pages: list[tuple[Path, Path]], browser: str) -> None:
    """Print each ``(html, pdf)`` pair with the browser, two at a time."""

    def one(pair: tuple[Path, Path]) -> None:
        source, target = pair
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--print-to-pdf={target}", source.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        if not target.is_file():
            raise RuntimeError(f"{browser} printed no {target.name}")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, pages))


def print_seeds(seed_files: list[Path], out_dir: Path, browser: str) -> list[Path]:
    """The seeds' web pages (:func:`write_html`) printed to PDF."""
    pages = []
    for seed in seed_files:
        page = out_dir.parent / f"{out_dir.name}-pages" / f"{seed.stem}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        write_html(page, title_of(seed), text_blocks(seed.read_text(encoding="utf-8")))
        pages.append((page, out_dir / f"{seed.stem}.pdf"))
    print_pages(pages, browser)
    return [pdf for _, pdf in pages]


def print_company(source_dir: Path, out_dir: Path, browser: str) -> list[Path]:
    """Every company document as a printed web page: the wiki pages as they are, the
    Markdown, plain-text and rendered sources first made into pages of the same site."""
    pages = []
    for doc in sorted((source_dir / "docs").iterdir()) + sorted(
        (source_dir / "render").glob("*.md")
    ):
        if doc.suffix == ".html":
            pages.append((doc, out_dir / f"{doc.stem}.pdf"))
            continue
        text = doc.read_text(encoding="utf-8")
        if doc.suffix == ".md":
            title, blocks = markdown_blocks(_FRONT_MATTER.sub("", text))
        else:
            blocks = text_blocks(text)
            title = blocks.pop(0)[1] if blocks and blocks[0][0] == "h" else title_of(doc)
        page = out_dir.parent / f"{out_dir.name}-pages" / f"{doc.stem}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        write_html(page, title or title_of(doc), blocks, site=PRINT_SITE)
        pages.append((page, out_dir / f"{doc.stem}.pdf"))
    print_pages(pages, browser)
    return [pdf for _, pdf in pages]


def write_plain_docx(path: Path, title: str, blocks: list[tuple[str, str]]) -> None:
    """A Word file with direct formatting only: the title a 20 pt bold paragraph, each
    heading (``("h1"|"h2"|"h3", text)``) a bold 14/12/11 pt paragraph, the rest plain."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    sizes = {"title": 20, "h1": 14, "h2": 12, "h3": 11}
    for kind, text in [("title", title), *blocks]:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        if kind in sizes:
            run.bold = True
            run.font.size = Pt(sizes[kind])
        elif kind == "li":
            paragraph.style = "List Bullet"
    document.save(str(path))


def write_plain_markdown(path: Path, title: str, blocks: list[tuple[str, str]]) -> None:
    """Markdown as many write it: no ``#`` headings, the title and every heading a line of
    bold text in a paragraph of its own."""
    lines = [f"**{title}**", ""]
    for kind, text in blocks:
        lines += [f"**{text}**" if kind.startswith("h") else text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plain_html(path: Path, title: str, blocks: list[tuple[str, str]]) -> None:
    """A page without heading tags: the title and each heading a bold paragraph (``b``,
    ``strong`` or a span in bold type), as rich-text editors often save them."""
    body = [f'<p><span style="font-size:20pt;font-weight:700">{html.escape(title)}</span></p>']
    marks = ("<strong>{}</strong>", "<b>{}</b>", '<span style="font-weight: bold">{}</span>')
    for n, (kind, text) in enumerate(blocks):
        escaped = html.escape(text)
        body.append(f"<p>{marks[n % 3].format(escaped) if kind.startswith('h') else escaped}</p>")
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    page = head + "\n".join(body) + "\n</body></html>\n"
    path.write_text(page, encoding="utf-8")


def hand_company(source_dir: Path, out_dir: Path) -> list[Path]:
    """Every company document, as read by the knowledge loader (article text, headings,
    table rows as fields), written again with headings formatted by hand and no
    heading markup: a PDF or Word source as a Word file (:func:`write_plain_docx`), a
    web page as a page (:func:`write_plain_html`), Markdown or plain text as Markdown
    (:func:`write_plain_markdown`)."""
    import tempfile

    from knowledge.documents import load_document

    writers = {".docx": write_plain_docx, ".html": write_plain_html, ".md": write_plain_markdown}
    family = {".pdf": ".docx", ".docx": ".docx", ".html": ".html", ".md": ".md", ".txt": ".md"}
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for doc in render_company(source_dir, Path(tmp)):
            loaded = load_document(doc)
            blocks = _loaded_blocks(loaded)
            suffix = family[doc.suffix]
            target = out_dir / f"{doc.stem}{suffix}"
            writers[suffix](target, loaded.title, blocks)
            written.append(target)
    return written


# --- a corporate Word template: content controls, a text box, captioned tables --------

_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_BOX_NS = (
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)
_ROW_FIELD = re.compile(r"^([^:;]{1,60}): ")


def _xml_text(text: str) -> str:
    return html.escape(text, quote=False)


def _box_paragraphs(texts: list[str]) -> str:
    return "".join(
        f"<w:p><w:r><w:t xml:space='preserve'>{_xml_text(t)}</w:t></w:r></w:p>" for t in texts
    )


def _text_box_run(texts: list[str], number: int) -> str:
    """A floating text box as Word writes it: the drawing, and a VML copy for older readers."""
    inner = _box_paragraphs(texts)
    return (
        f'<w:r {_W_NS} {_BOX_NS}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" '
        'relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="margin"><wp:posOffset>0'
        '</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0'
        '</wp:posOffset></wp:positionV><wp:extent cx="5760000" cy="1080000"/>'
        f'<wp:wrapTopAndBottom/><wp:docPr id="{number}" name="Text Box {number}"/>'
        "<a:graphic><a:graphicData "
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        '<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/>'
        '<a:ext cx="5760000" cy="1080000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        f"</a:prstGeom></wps:spPr><wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx>"
        "<wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
        '</mc:Choice><mc:Fallback><w:pict><v:shape style="width:453.6pt;height:85pt">'
        f"<v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


def _control(tag: str, paragraphs_xml: str) -> str:
    """A block-level rich-text content control holding ``paragraphs_xml``."""
    return (
        f'<w:sdt {_W_NS}><w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/>'
        f"</w:sdtPr><w:sdtContent>{paragraphs_xml}</w:sdtContent></w:sdt>"
    )


def _row_fields(text: str) -> list[tuple[str, str]] | None:
    """``"Route: Light; Who decides: The chair"`` (a table row as the loader writes it)
    -> its fields; None for a sentence."""
    parts = text.split("; ")
    fields = []
    for part in parts:
        match = _ROW_FIELD.match(part)
        if match is None:
            if not fields:
                return None
            key, value = fields[-1]
            fields[-1] = (key, f"{value}; {part}")  # a value with a semicolon in it
            continue
        fields.append((match.group(1), part[match.end() :]))
    return fields if len(fields) >= 2 else None


def _form_items(blocks: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """Heading and text blocks with runs of table rows (two or more with the same
    fields) gathered into ``("table", (keys, rows))``."""
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(blocks):
        kind, text = blocks[i]
        fields = _row_fields(text) if kind == "p" else None
        if fields is not None:
            keys = [k for k, _ in fields]
            rows = [[v for _, v in fields]]
            j = i + 1
            while j < len(blocks) and blocks[j][0] == "p":
                more = _row_fields(blocks[j][1])
                if more is None or [k for k, _ in more] != keys:
                    break
                rows.append([v for _, v in more])
                j += 1
            if len(rows) >= 2:
                out.append(("table", (keys, rows)))
                i = j
                continue
        out.append((kind, text))
        i += 1
    return out


def write_form_docx(path: Path, title: str, blocks: list[tuple[str, str]]) -> None:
    """A Word file filled in on a corporate template: the title and a document-control
    table (its field labels in bold) in content controls, the lead paragraph in a
    floating text box ("at a glance"), each section's text in a rich-text content
    control under its heading style, and each table with a merged caption row (the
    section's name) above its header row."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    body = document.element.body
    sect = body[-1]  # the section properties stay last

    def put(xml: str) -> None:
        sect.addprevious(parse_xml(xml))

    def paragraph(text: str, style: str | None = None) -> str:
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return (
            f"<w:p {_W_NS}>{props}<w:r><w:t xml:space='preserve'>{_xml_text(text)}"
            "</w:t></w:r></w:p>"
        )

    def strip_ns(xml: str) -> str:
        return xml.replace(f" {_W_NS}", "")

    put(_control("Title", strip_ns(paragraph(title, "Title"))))
    control = document.add_table(rows=3, cols=2)
    control.style = "Table Grid"
    caption = control.rows[0].cells[0].merge(control.rows[0].cells[1])
    caption.text = "Document control"
    for row, (key, value) in zip(
        control.rows[1:], [("Classification", "Internal"), ("Status", "Approved")], strict=True
    ):
        row.cells[0].paragraphs[0].add_run(key).bold = True  # a template's field labels
        row.cells[1].text = value
    sect.addprevious(control._tbl)
    items = _form_items(blocks)
    lead: list[str] = []
    while items and items[0][0] == "p":
        lead.append(items.pop(0)[1])
    if lead:
        anchor = document.add_paragraph()
        anchor._p.append(parse_xml(_text_box_run(lead, 1)))
    pending: list[str] = []
    section = ""
    number = 0

    def flush() -> None:
        nonlocal number
        if pending:
            number += 1
            put(_control(f"Section {number}", "".join(strip_ns(p) for p in pending)))
            pending.clear()

    levels = {"h1": "Heading1", "h2": "Heading2", "h3": "Heading3"}
    for kind, value in items:
        if kind in levels:
            flush()
            section = value
            put(paragraph(value, levels[kind]))
        elif kind == "table":
            flush()
            keys, rows = value
            table = document.add_table(rows=len(rows) + 2, cols=len(keys))
            table.style = "Table Grid"
            merged = table.rows[0].cells[0].merge(table.rows[0].cells[len(keys) - 1])
            merged.text = section or title
            for cell, key in zip(table.rows[1].cells, keys, strict=True):
                cell.text = key
            for row, cells in zip(table.rows[2:], rows, strict=True):
                for cell, text in zip(row.cells, cells, strict=True):
                    cell.text = text
            sect.addprevious(table._tbl)
        else:
            pending.append(paragraph(value))
    flush()
    document.core_properties.title = ""
    document.save(str(path))


def _loaded_blocks(loaded: Any) -> list[tuple[str, str]]:
    """A loaded document's blocks as ``(kind, text)``, each heading of its section path
    once, where it starts (``h1``-``h3`` by depth)."""
    blocks: list[tuple[str, str]] = []
    path: list[str] = []
    for block in loaded.blocks:
        section = [h for h in block.section.split(" > ") if h] if block.section else []
        if section != path:
            common = 0
            while common < min(len(section), len(path)) and section[common] == path[common]:
                common += 1
            for depth in range(common, len(section)):
                blocks.append((f"h{min(depth + 1, 3)}", section[depth]))
            path = section
        blocks.append(("p", block.text))
    return blocks


def form_company(source_dir: Path, out_dir: Path) -> list[Path]:
    """Every company document, as read by the knowledge loader, written again as a Word
    file on a corporate template (:func:`write_form_docx`)."""
    import tempfile

    from knowledge.documents import load_document

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for doc in render_company(source_dir, Path(tmp)):
            loaded = load_document(doc)
            target = out_dir / f"{doc.stem}.docx"
            write_form_docx(target, loaded.title, _loaded_blocks(loaded))
            written.append(target)
    return written


# --- Word files exported to PDF by an office suite -------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_NUMBERED = re.compile(r"^\d+[.)]\s+")


def office_blocks(text: str) -> tuple[str, list[Block]]:
    """Title and blocks of a company Markdown source, keeping what a Word author would
    set as styles: heading levels (``h1``-``h3``), bulleted (``li``) and numbered
    (``ol``) items, table rows (``tr``)."""
    title = ""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("p", " ".join(" ".join(para).split())))
            para.clear()

    previous = ""
    for line in _FRONT_MATTER.sub("", text).splitlines():
        stripped = line.strip()
        heading = _MD_HEADING.match(stripped)
        follows, previous = previous, stripped
        if not stripped:
            flush()
        elif (
            follows
            and not para
            and blocks
            and blocks[-1][0] in ("li", "ol")
            and not (heading or _LIST.match(stripped) or stripped.startswith("|"))
        ):
            kind, item = blocks[-1]
            blocks[-1] = (kind, f"{item} {stripped}")  # a hard-wrapped item goes on
        elif heading and len(heading.group(1)) == 1 and not title:
            flush()
            title = heading.group(2).strip()
        elif heading:
            flush()
            level = min(max(len(heading.group(1)) - 1, 1), 3)
            blocks.append((f"h{level}", heading.group(2).strip()))
        elif stripped.startswith("|") and stripped.endswith("|"):
            flush()
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                blocks.append(("tr", "\t".join(cells)))
        elif _LIST.match(stripped):
            flush()
            kind = "ol" if _MD_NUMBERED.match(stripped) else "li"
            blocks.append((kind, _LIST.sub("", stripped)))
        else:
            para.append(stripped)
    flush()
    return title, blocks


def _field_run(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in ``paragraph``, as Word stores it."""
    from docx.oxml import parse_xml

    xml = (
        '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        f'w:instr="{instruction}"><w:r><w:t>1</w:t></w:r></w:fldSimple>'
    )
    paragraph._p.append(parse_xml(xml))


def write_office_docx(path: Path, title: str, blocks: list[Block], *, header: str) -> None:
    """A Word file as an author sets one up: Title and Heading 1-3 styles, bulleted and
    numbered list styles, tables with a bold heading row, a running header and a
    "Page n of m" footer."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    section = document.sections[0]
    section.header.paragraphs[0].text = header
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    _field_run(footer, "PAGE")
    footer.add_run(" of ")
    _field_run(footer, "NUMPAGES")
    document.add_paragraph(title, style="Title")
    styles = {"h1": "Heading 1", "h2": "Heading 2", "h3": "Heading 3"}
    styles |= {"li": "List Bullet", "ol": "List Number"}
    for item in _tables(blocks):
        if isinstance(item, list):
            table = document.add_table(rows=len(item), cols=max(map(len, item)))
            table.style = "Table Grid"
            for n, (row, cells) in enumerate(zip(table.rows, item, strict=True)):
                for target, cell in zip(row.cells, cells, strict=False):
                    target.text = cell
                    if n == 0:
                        for run in target.paragraphs[0].runs:
                            run.bold = True
            continue
        kind, text = item
        document.add_paragraph(text, style=styles.get(kind))
    document.save(str(path))


def soffice() -> str | None:
    """The office suite to export Word files to PDF with (``SPINEBOT_SOFFICE``, else
    ``soffice`` or ``libreoffice`` on the PATH), or None."""
    explicit = os.environ.get("SPINEBOT_SOFFICE")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_company(source_dir: Path, out_dir: Path, office: str) -> list[Path]:
    """Every company document as a Word file exported to PDF by the office suite, as most
    policy PDFs are made: Markdown and rendered sources with their heading levels, lists
    and tables as Word styles; plain text and web pages as the loader reads them."""
    import tempfile

    from knowledge.documents import load_document

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        words = work / "docx"
        words.mkdir()
        with tempfile.TemporaryDirectory() as rendered:
            for doc in render_company(source_dir, Path(rendered)):
                name = doc.stem
                source = source_dir / "render" / f"{name}.md"
                if not source.exists():
                    source = source_dir / "docs" / doc.name
                if source.suffix == ".md":
                    title, blocks = office_blocks(source.read_text(encoding="utf-8"))
                elif source.suffix == ".txt":
                    blocks = text_blocks(source.read_text(encoding="utf-8"))
                    title = blocks.pop(0)[1] if blocks and blocks[0][0] == "h" else title_of(doc)
                    blocks = [("h1" if k == "h" else k, t) for k, t in blocks]
                else:
                    loaded = load_document(doc)
                    title, blocks = loaded.title, _loaded_blocks(loaded)
                title = title or title_of(doc)
                header = f"Lindqvist & Hale Insurance - {title}"
                write_office_docx(words / f"{name}.docx", title, blocks, header=header)
        profile = (work / "profile").as_uri()
        subprocess.run(
            [
                office,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *sorted(str(p) for p in words.glob("*.docx")),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return sorted(out_dir.glob("*.pdf"))


__all__ = [
    "chromium",
    "form_company",
    "hand_company",
    "markdown_blocks",
    "office_blocks",
    "office_company",
    "print_company",
    "print_seeds",
    "render_company",
    "render_seed_variants",
    "soffice",
    "text_blocks",
    "title_of",
    "write_docx",
    "write_form_docx",
    "write_html",
    "write_office_docx",
    "write_pdf",
    "write_plain_docx",
    "write_plain_html",
    "write_plain_markdown",
]
