"""Reading documents and cutting them into chunks that follow their structure.

Every loader turns a file into a :class:`Document`: a title, optional link, and a list
of :class:`Block` paragraphs, each knowing the heading path it sits under and (for PDFs)
its page. :func:`chunk_document` then packs consecutive paragraphs of one section into
chunks of roughly a thousand characters, so a chunk never straddles two sections or two
PDF pages, and carries a sentence of overlap so an answer split across a boundary is
still found. A file that cannot be read raises :class:`DocumentError` with a short
reason; the ingester reports it by name and goes on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).parent / "corpus"
CORPUS_PREFIX = "spinebot:"

SUPPORTED_SUFFIXES = frozenset(
    {".md", ".markdown", ".txt", ".text", ".pdf", ".html", ".htm", ".docx"}
)

TARGET_CHARS = 800
MAX_CHARS = 1000
MIN_CHARS = 200
OVERLAP_CHARS = 160

_HEADING_MD = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*\.?)\s+[A-Z][^.!?]*$")
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*([a-z])")
_WS = re.compile(r"\s+")


class DocumentError(Exception):
    """The file cannot be turned into text; ``str(exc)`` is a short reason for the report."""


@dataclass(frozen=True)
class Block:
    """One paragraph (or list item, or table row) of text under a heading path."""

    text: str
    section: str = ""
    page: int | None = None


@dataclass
class Document:
    source: str
    title: str
    blocks: list[Block]
    url: str | None = None
    kind: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """What the index stores: the text plus everything an answer needs to cite it."""

    id: str
    source: str
    title: str
    section: str
    text: str
    ordinal: int
    page: int | None = None
    url: str | None = None
    kind: str = ""

    def embed_text(self) -> str:
        """The text embedded and keyword-indexed: title and section give a chunk context
        that its paragraphs alone often lack (a paragraph rarely repeats its heading)."""
        head = " > ".join(part for part in (self.title, self.section) if part)
        return f"{head}\n{self.text}" if head else self.text

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata: scalars only, and no None values."""
        meta: dict[str, Any] = {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "ordinal": self.ordinal,
            "kind": self.kind,
        }
        if self.page is not None:
            meta["page"] = self.page
        if self.url:
            meta["url"] = self.url
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        page = meta.get("page")
        return cls(
            id=chunk_id,
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            text=text,
            ordinal=int(meta.get("ordinal", 0)),
            page=int(page) if page is not None else None,
            url=meta.get("url") or None,
            kind=str(meta.get("kind", "")),
        )


# --- discovery and ids ---------------------------------------------------------------


def source_id(path: Path, corpus_dir: Path = CORPUS_DIR) -> str:
    """Stable id: ``spinebot:<relative path>`` inside the bundled corpus (so it does not
    depend on where the package is installed), else the resolved absolute path."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(corpus_dir.resolve())
    except ValueError:
        return str(resolved)
    return CORPUS_PREFIX + relative.as_posix()


def root_scope(path: Path, corpus_dir: Path = CORPUS_DIR) -> str:
    """The source-id prefix covering everything under ``path`` (for deletions)."""
    sid = source_id(path, corpus_dir)
    if path.is_file() or path.suffix.lower() in SUPPORTED_SUFFIXES:
        return sid
    if sid == CORPUS_PREFIX + ".":
        return CORPUS_PREFIX
    return sid.rstrip("/") + "/"


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Supported files under ``paths`` (folders recursively, hidden entries skipped),
    in a stable order. A file named explicitly is yielded whatever its suffix."""
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                rel_parts = child.relative_to(path).parts
                if any(part.startswith((".", "_")) for part in rel_parts):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_id(source: str, ordinal: int) -> str:
    """Stable per (document, position): re-ingesting a changed file overwrites in place."""
    return f"{hashlib.sha1(source.encode()).hexdigest()[:16]}-{ordinal:04d}"


# --- loaders -------------------------------------------------------------------------


def load_document(path: Path, *, source: str | None = None, data: bytes | None = None) -> Document:
    """Read ``path`` with the loader for its suffix; raises :class:`DocumentError`."""
    source = source or source_id(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise DocumentError("empty file")
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        doc = _load_markdown(_decode(data), path, source)
    elif suffix == ".pdf":
        doc = _load_pdf(data, path, source)
    elif suffix in (".html", ".htm"):
        doc = _load_html(data, path, source)
    elif suffix == ".docx":
        doc = _load_docx(data, path, source)
    elif suffix in (".txt", ".text", ""):
        doc = _load_text(_decode(data), path, source)
    else:
        raise DocumentError(f"unsupported file type '{suffix}'")
    if not any(block.text.strip() for block in doc.blocks):
        raise DocumentError("no text found")
    if source.startswith(("http://", "https://")) and not doc.url:
        doc.url = source
    return doc


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if "\x00" in text:
        raise DocumentError("binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_ACRONYMS = frozenset({"ai", "ml", "llm", "llms", "uk", "hr", "faq", "kpi", "roi"})


def _title_from_path(path: Path) -> str:
    words = path.stem.replace("-", " ").replace("_", " ").split()
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in words]
    if words and not words[0].isupper():
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) or path.name


def _clean(text: str) -> str:
    """One paragraph on one line: PDF-style hyphen breaks joined, whitespace collapsed."""
    return _WS.sub(" ", _HYPHEN_BREAK.sub(r"\1\2", text)).strip()


def _paragraphs(text: str) -> list[str]:
    return [p for p in (_clean(part) for part in re.split(r"\n\s*\n", text)) if p]


def _load_markdown(text: str, path: Path, source: str) -> Document:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        import yaml

        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            meta = loaded
            text = text[match.end() :]
        else:
            # "title: Phase gates: pilot, …" is not valid YAML; read key: value lines.
            meta = _loose_front_matter(match.group(1))
            text = text[match.end() :]
    title = str(meta.get("title") or "").strip()
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    buffer: list[str] = []
    in_fence = False

    def flush() -> None:
        if buffer:
            section = " > ".join(h for _, h in headings)
            for para in _markdown_paragraphs("\n".join(buffer)):
                blocks.append(Block(para, section))
            buffer.clear()

    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            buffer.append(line)
            continue
        heading = None if in_fence else _HEADING_MD.match(line)
        if heading:
            flush()
            level, name = len(heading.group(1)), _strip_inline(heading.group(2))
            if level == 1 and not title and not headings and not blocks:
                title = name
            headings[:] = [(lvl, h) for lvl, h in headings if lvl < level]
            if not (level == 1 and name == title):
                headings.append((level, name))
            continue
        buffer.append(line)
    flush()
    url = meta.get("url")
    return Document(
        source=source,
        title=title or _title_from_path(path),
        blocks=blocks,
        url=str(url).strip() if url and str(url).strip() else None,
        kind=str(meta.get("kind") or "").strip(),
        meta={k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)},
    )


def _loose_front_matter(text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            meta[key.strip()] = value.strip().strip("'\"")
    return meta


_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<!\w)_)(?=\S)(.+?)(?<=\S)\1(?!\w)")


def _strip_inline(text: str) -> str:
    """Markdown inline syntax out, identifiers such as ``TREND_NEW_WEEKS`` intact."""
    text = re.sub(r"!?\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = text.replace("`", "")
    for _ in range(2):  # nested emphasis such as ***bold italic***
        text = _EMPHASIS.sub(r"\2", text)
    return text.strip()


def _markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs; each list item and table row is its own paragraph (natural units)."""
    out: list[str] = []
    for part in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in part.split("\n") if ln.strip()]
        if lines and all(ln.startswith("|") for ln in lines):
            for row in lines:
                cells = [_strip_inline(c) for c in row.strip("|").split("|")]
                if all(re.fullmatch(r":?-*:?", c.strip()) for c in cells):
                    continue  # the |---|---| separator
                out.append(" | ".join(c.strip() for c in cells))
            continue
        items = re.split(r"\n(?=\s{0,3}(?:[-*+]|\d+[.)])\s)", part)
        for item in items:
            cleaned = _WS.sub(" ", _strip_inline(item)).strip()
            cleaned = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", cleaned) if cleaned else cleaned
            if cleaned.startswith(">"):
                cleaned = cleaned.lstrip("> ").strip()
            if cleaned and not re.fullmatch(r"[-|:\s]+", cleaned):
                out.append(cleaned)
    return out


def _is_text_heading(line: str) -> bool:
    """Plain text (often extracted from a PDF) marks sections with short numbered lines
    such as ``3.2 Scaling AI`` or lines in capitals."""
    line = line.strip()
    if not line or len(line) > 80:
        return False
    if _NUMBERED_HEADING.match(line) and len(line.split()) <= 10:
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and len(line.split()) <= 8


def _is_line_heading(line: str) -> bool:
    """In one-paragraph-per-line text, a short capitalised line without closing
    punctuation is a heading (``Three Key Challenge Areas``)."""
    line = line.strip()
    return (
        _is_text_heading(line)
        or 0 < len(line) <= 60
        and line[0].isupper()
        and line[-1] not in ".!?:;,"
        and not line.startswith(("- ", "* "))
        and len(line.split()) <= 8
    )


def _text_blocks(text: str, *, page: int | None = None, section: str = "") -> list[Block]:
    blocks: list[Block] = []
    for raw in re.split(r"\n\s*\n", text):
        lines = [ln for ln in raw.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) > 1 and max(len(ln) for ln in lines) > 200:
            # One paragraph per line (no blank lines between paragraphs).
            previous = ""
            for line in lines:
                line = _WS.sub(" ", line).strip()
                if line == previous:
                    continue  # extraction sometimes doubles a line
                previous = line
                if _is_line_heading(line):
                    section = line
                else:
                    blocks.append(Block(line, section, page))
            continue
        if _is_text_heading(lines[0]) or len(lines) == 1 and _is_line_heading(lines[0]):
            section = _WS.sub(" ", lines[0]).strip()
            lines = lines[1:]
        para = _clean("\n".join(lines))
        if para:
            blocks.append(Block(para, section, page))
    return blocks


def _load_text(text: str, path: Path, source: str) -> Document:
    return Document(source=source, title=_title_from_path(path), blocks=_text_blocks(text))


def _load_pdf(data: bytes, path: Path, source: str) -> Document:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF")
        blocks: list[Block] = []
        section = ""
        for number, page in enumerate(reader.pages, start=1):
            page_blocks = _text_blocks(page.extract_text() or "", page=number, section=section)
            if page_blocks:
                section = page_blocks[-1].section
            blocks.extend(page_blocks)
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"unreadable PDF ({type(exc).__name__})") from None
    return Document(
        source=source, title=str(info_title).strip() or _title_from_path(path), blocks=blocks
    )


_HTML_BLOCKS = ("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption")
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _load_html(data: bytes, path: Path, source: str) -> Document:
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(data, "html.parser")
    except Exception as exc:  # bs4 raises assorted parser errors on garbage
        raise DocumentError(f"unreadable HTML ({type(exc).__name__})") from None
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    canonical = soup.find("link", rel="canonical")
    url = canonical.get("href") if canonical else None
    body = soup.body or soup
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for element in body.find_all((*_HTML_HEADINGS, *_HTML_BLOCKS)):
        if element.name in _HTML_HEADINGS:
            level, name = int(element.name[1]), _WS.sub(" ", element.get_text(" ")).strip()
            if not name:
                continue
            if level == 1 and not title:
                title = name
            headings[:] = [(lvl, h) for lvl, h in headings if lvl < level]
            if not (level == 1 and name == title):
                headings.append((level, name))
            continue
        if element.find((*_HTML_BLOCKS, *_HTML_HEADINGS)):
            continue  # its inner blocks are read on their own
        text = _WS.sub(" ", element.get_text()).strip()
        if text:
            blocks.append(Block(text, " > ".join(h for _, h in headings)))
    if not blocks:
        text = body.get_text("\n")
        blocks = _text_blocks(text)
    return Document(
        source=source,
        title=title or _title_from_path(path),
        blocks=blocks,
        url=str(url) if url else None,
    )


def _load_docx(data: bytes, path: Path, source: str) -> Document:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"unreadable .docx ({type(exc).__name__})") from None
    title = (document.core_properties.title or "").strip()
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for para in document.paragraphs:
        text = _WS.sub(" ", para.text).strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = _docx_heading_level(style)
        if level is not None:
            if level == 0 or (level == 1 and not title and not headings and not blocks):
                title = title or text
                if level == 0:
                    continue
            headings[:] = [(lvl, h) for lvl, h in headings if lvl < level]
            if text != title:
                headings.append((level, text))
            continue
        blocks.append(Block(text, " > ".join(h for _, h in headings)))
    for table in document.tables:
        for row in table.rows:
            cells = [_WS.sub(" ", cell.text).strip() for cell in row.cells]
            line = " | ".join(c for c in cells if c)
            if line:
                blocks.append(Block(line, " > ".join(h for _, h in headings)))
    return Document(source=source, title=title or _title_from_path(path), blocks=blocks)


def _docx_heading_level(style: str) -> int | None:
    if style == "Title":
        return 0
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) if match else None


# --- chunking ------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph longer than ``limit``: cut at sentence ends, words as a last resort."""
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _tail_overlap(text: str) -> str:
    """The last sentence of a chunk (if short enough), repeated at the next one's start."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return ""
    last = sentences[-1]
    return last if len(last) <= OVERLAP_CHARS else ""


def chunk_document(doc: Document) -> list[Chunk]:
    """Pack paragraphs into ~1,000-character chunks within one section and page."""
    groups: list[tuple[str, int | None, list[str]]] = []
    for block in doc.blocks:
        key = (block.section, block.page)
        if groups and (groups[-1][0], groups[-1][1]) == key:
            groups[-1][2].append(block.text)
        else:
            groups.append((block.section, block.page, [block.text]))

    texts: list[tuple[str, int | None, str]] = []
    for section, page, paragraphs in groups:
        pieces: list[str] = []
        for para in paragraphs:
            pieces.extend(_split_long(para, MAX_CHARS) if len(para) > MAX_CHARS else [para])
        current: list[str] = []
        carried = False  # current[0] repeats the previous chunk's last sentence
        size = 0
        for piece in pieces:
            if current and size + len(piece) + 1 > MAX_CHARS or size >= TARGET_CHARS:
                body = "\n".join(current)
                texts.append((section, page, body))
                overlap = _tail_overlap(body)
                carried = bool(overlap) and len(overlap) + len(piece) < MAX_CHARS
                current = [overlap] if carried else []
                size = len(overlap) + 1 if carried else 0
            current.append(piece)
            size += len(piece) + 1
        if current:
            body = "\n".join(current)
            own = "\n".join(current[1:] if carried else current)
            # A short tail joins the previous chunk of the same section when it fits.
            if (
                texts
                and len(body) < MIN_CHARS
                and texts[-1][0] == section
                and texts[-1][1] == page
                and len(texts[-1][2]) + len(own) <= MAX_CHARS + MIN_CHARS
            ):
                prev = texts.pop()
                texts.append((section, page, prev[2] + "\n" + own))
            else:
                texts.append((section, page, body))

    return [
        Chunk(
            id=chunk_id(doc.source, ordinal),
            source=doc.source,
            title=doc.title,
            section=section,
            text=text,
            ordinal=ordinal,
            page=page,
            url=doc.url,
            kind=doc.kind,
        )
        for ordinal, (section, page, text) in enumerate(texts)
    ]
