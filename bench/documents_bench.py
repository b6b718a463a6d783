"""Loader speed and hostile documents: how fast documents parse, how fast bad ones are refused.

Builds every document in a temporary folder (nothing is read from outside the repo):
a zip-bomb .docx, an oversized Markdown file, a PDF page that inflates into megabytes of
text operators, and large but legal Markdown, text and HTML files. Prints the time each
takes with the default limits (``knowledge.documents.Limits``).

Usage: ``python -m bench.documents_bench``.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

from knowledge.documents import DocumentTooLarge, Limits, chunk_document, load_document
from tests.harness.pdf import pdf_file


def zip_bomb_docx(inflated_mb: int) -> bytes:
    """A real .docx plus one part of zeros: a few KB on disk, ``inflated_mb`` unzipped."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/padding.bin", "w") as part,
    ):
        block = b"\0" * (1024 * 1024)
        for _ in range(inflated_mb):
            part.write(block)
    return buffer.getvalue()


def pdf_bomb(repeats: int) -> bytes:
    """One page whose compressed content stream (a few KB) holds ``repeats`` text ops."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 700 Td (spam and more spam) Tj ET\n" * repeats, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def write_text(path: Path, size: int, paragraph: str) -> None:
    with path.open("w") as handle:
        n = 0
        while handle.tell() < size:
            n += 1
            handle.write(paragraph.format(n=n))


def measure(label: str, path: Path, limits: Limits) -> None:
    started = time.perf_counter()
    try:
        chunks = chunk_document(load_document(path, limits=limits), max_chunks=limits.max_chunks)
        outcome = f"{len(chunks):,} chunks"
    except DocumentTooLarge as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - started
    size = path.stat().st_size / 1024 / 1024
    print(f"{label:<34} {size:8.2f} MB {seconds:7.2f} s  {outcome}", flush=True)


def main() -> int:
    limits = Limits()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bomb.docx").write_bytes(zip_bomb_docx(400))
        (root / "bomb.pdf").write_bytes(pdf_bomb(1_000_000))
        sentence = "Use case {n} reports its net value every week to the owner of the unit. "
        md = "## Part {n}\n\n" + sentence * 6 + "\n\n" + sentence * 6 + "\n\n"
        write_text(root / "huge.md", 54 * 1024 * 1024, md)
        write_text(root / "large.md", 2 * 1024 * 1024, md)
        text = (
            "Topic {n}\n\n"
            + "Line {n} of prose wrapped like text taken from a PDF, with a word\n" * 6
            + "cut at the end of the line by a hy-\nphen, and the sentence ends here.\n\n"
        )
        write_text(root / "large.txt", 2 * 1024 * 1024, text)
        html = (
            "<nav>Home | About</nav><h2>Part {n}</h2>"
            + "<p>"
            + sentence * 6
            + "</p>" * 1
            + "<p>"
            + sentence * 6
            + "</p><footer>Imprint</footer>\n"
        )
        write_text(root / "large.html", 2 * 1024 * 1024, html)
        lines = "SHORT LINE {n} IN CAPITALS\nline {n} without a period\n\nAnna Berger{n}\n\n"
        write_text(root / "lines.txt", 4 * 1024 * 1024, lines)
        # raw HTML and footnote marks in Markdown, unclosed, in one long paragraph each
        (root / "marks.md").write_text(
            "Start.\n\n" + "[^" * 50_000 + "\n\n" + "<div " * 50_000 + "\n\n" + "<!---->" * 50_000,
            encoding="utf-8",
        )
        print(f"{'document':<34} {'size':>11} {'time':>9}  outcome")
        measure("zip-bomb .docx (400 MB unzipped)", root / "bomb.docx", limits)
        measure("PDF page of 50 MB text operators", root / "bomb.pdf", limits)
        measure("54 MB Markdown", root / "huge.md", limits)
        measure("2 MB Markdown", root / "large.md", limits)
        measure("2 MB plain text", root / "large.txt", limits)
        measure("2 MB HTML", root / "large.html", limits)
        measure("4 MB of short lines (no prose)", root / "lines.txt", limits)
        measure("unclosed HTML / footnote marks (.md)", root / "marks.md", limits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
