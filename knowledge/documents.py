"""Reading documents and cutting them into chunks that follow their structure.

Every loader turns a file into a :class:`Document`: a title, optional link, and a list
of :class:`Block` paragraphs, each knowing the heading path it sits under and (for PDFs)
its page. :func:`chunk_document` then packs consecutive paragraphs of one section into
chunks of roughly a thousand characters, so a chunk never straddles two sections or two
PDF pages, and carries a sentence of overlap so an answer split across a boundary is
still found. A file that cannot be read raises :class:`DocumentError` with a short
reason, one over a size limit (:class:`Limits`) :class:`DocumentTooLarge`; the ingester
reports it by name and goes on.

Structure comes from the layout where the format has one: PDF font sizes (and bold
lines), .docx paragraph styles, HTML ``h1``-``h6``, Markdown ``#``; plain text by the
shape of its lines. Web-page boilerplate, PDF running headers, footers and page numbers
are dropped and words hyphenated at a line end are joined again.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse

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
# A heading typed as a line of bold text ("**Approvals**") in its own paragraph
_BOLD_LINE_MD = re.compile(r"^\s{0,3}(\*\*|__)(?=\S)([^*_\n]{1,160}?)(?<=\S)\1\s*$")
HAND_HEADING_LEVEL = 7  # below every level the markup has (h1-h6, # to ######)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
# a sentence ends at . ! or ?, with the quotation mark or bracket that closes it kept
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?][\"'”’)\]][\"'”’)\]])|(?<=[.!?][\"'”’)\]])|(?<=[.!?]))"
    r"\s+(?=[\"'“‘(\[]?[A-Z0-9])"
)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*\.?)\s+[A-Z][^.!?]*$")
# A word cut at a line end ("imple-\nmentation"), also across a blank line in PDF text.
_NUMBERED_LOOSE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+\.?)\s+[A-Z].*$")  # "4.2.1. Level 1. Data"
# (\b keeps it linear on a very long "word": each word is tried once, not per letter.)
_HYPHEN_BREAK = re.compile(r"\b(\w+)-[ \t]*\n[ \t]*(?:\n[ \t]*)?([a-z]\w*)")
_WS = re.compile(r"\s+")


# Bump when the loaders' output changes: the ingest manifest keys documents on the file's
# hash *and* this version, so a re-ingest replaces chunks cut by an older loader.
LOADER_VERSION = "27"  # 3: table rows under their column headings; 4: "et al." ends no sentence;
# 5: a plain-text title line, breadcrumb trails, an author set as a heading; 6: PDF tables,
# numbered headings nested by their numbers; 7: HTML terms, folded questions, row headings;
# 8: a web page printed to PDF by a browser loses the print header, footer and site chrome;
# 9: Word headings set by hand (bold or larger Normal paragraphs); 10: the same in
# Markdown ("**Approvals**" on its own) and web pages ("<p><strong>Approvals</strong></p>");
# 11: Word text in content controls and text boxes; 12: a web page's folded text
# (accordion answers, tabs, "expand" parts), each accordion item headed by its button;
# 13: raw HTML in Markdown (comments, tags, <details>/<summary>) and footnote marks;
# 14: ligatures spelt out, soft hyphens and zero-width characters dropped; 15: web page
# tables with a title row, row and column spans, a thead of plain cells; 16: the same
# for Word tables (merged title row, merged cells, equal neighbouring cells kept);
# 17: a page built of divs loses header, menus and footer named by id or class; 18: a
# Word table of fields (first column in bold) reads each row as a field and its value;
# 19: a PDF list whose bullets are drawn (a browser's print) keeps one block per item;
# 20: a printed page's sidebar ("Most popular" and its links) after the article goes;
# 21: an office suite's PDF list: a marker set off by a tab (a symbol-font bullet, "1.")
# is no table column, and a wrapped item goes on at its text's indent; 22: a PDF table
# drawn with rules is read by its grid (cell by cell, merged cells, a title row); 23: a
# ruled table over a page break is one table (a row cut at the break joined again); 24: a
# browser's print of a fixed cookie banner over every page is dropped, also where it covers
# a table row or a line of text, and so is a line of the banner's buttons; 25: a table
# without rules over a page break keeps its headings, and a rule meeting a grid at one
# height only (a button's side) is no column of it; 26: ... and its headings alone at the
# foot of the page before (a bold line of one piece over each column) head its rows;
# 27: a plain-text list under its lead line, in one paragraph, keeps one line per item,
# and a printed page's sidebar beside the article ("Related pages" at the right) goes

_MB = 1024 * 1024


class DocumentError(Exception):
    """The file cannot be turned into text; ``str(exc)`` is a short reason for the report."""


class DocumentTooLarge(DocumentError):
    """The document is over one of the ingest limits (named in the message)."""


@dataclass(frozen=True)
class Limits:
    """Per-document caps, so one hostile or runaway file cannot stall an ingest."""

    max_file_bytes: int = 50 * _MB
    max_text_bytes: int = 5 * _MB
    max_unzipped_bytes: int = 100 * _MB
    max_pages: int = 1000
    max_chars: int = 3_000_000
    max_chunks: int = 5000
    max_seconds: float = 60.0
    # pypdf parses a page's drawing instructions before any text comes out (about
    # 0.4 MB/s); a page with more than this is skipped rather than parsed for minutes.
    max_page_content_bytes: int = 4 * _MB

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_file_bytes=int(settings.knowledge_max_file_mb * _MB),
            max_text_bytes=int(settings.knowledge_max_text_mb * _MB),
            max_unzipped_bytes=int(settings.knowledge_max_unzipped_mb * _MB),
            max_pages=settings.knowledge_max_pages,
            max_chars=settings.knowledge_max_chars,
            max_chunks=settings.knowledge_max_chunks,
            max_seconds=settings.knowledge_max_parse_seconds,
        )


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB"


class _Deadline:
    """Cooperative time limit: loaders call :meth:`check` between pages and paragraphs."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise DocumentTooLarge(
                f"parsing took over {self.seconds:g} s (KNOWLEDGE_MAX_PARSE_SECONDS)"
            )


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
    format: str = ""


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
    format: str = ""  # the loader that read it: markdown, text, pdf, html, docx

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
        if self.format:
            meta["format"] = self.format
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
            url=safe_url(meta.get("url")),
            kind=str(meta.get("kind", "")),
            format=str(meta.get("format", "")),
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
    in a stable order. A file named explicitly is yielded whatever its suffix. The
    bundled corpus's own README describes the folder, it is not knowledge: skipped."""
    corpus_readme = (CORPUS_DIR / "README.md").resolve()
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                rel_parts = child.relative_to(path).parts
                if any(part.startswith((".", "_")) for part in rel_parts):
                    continue
                if child.name == "README.md" and child.resolve() == corpus_readme:
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child


def content_hash(data: bytes, salt: str = "") -> str:
    """The manifest's key for a file; ``salt`` adds what else shapes its chunks (the
    loader version, the link base) so a change there re-ingests the file."""
    digest = hashlib.sha256(data)
    if salt:
        digest.update(b"\x00" + salt.encode())
    return digest.hexdigest()


# --- links ---------------------------------------------------------------------------

_URL_FORBIDDEN = re.compile(r"[\s<>|\"`\\]")


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL safe to put in a Slack link, else None."""
    if not value:
        return None
    text = str(value).strip()
    if not text or _URL_FORBIDDEN.search(text):
        return None
    try:
        parsed = urlparse(text)
    except ValueError:
        return None
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        return None
    return text


def file_url(base: str, relative: str) -> str | None:
    """KNOWLEDGE_BASE_URL plus a file's relative path (each segment percent-encoded)."""
    if not base or not relative:
        return None
    return safe_url(base.rstrip("/") + "/" + quote(relative.lstrip("/"), safe="/"))


def chunk_id(source: str, ordinal: int) -> str:
    """Stable per (document, position): re-ingesting a changed file overwrites in place."""
    return f"{hashlib.sha1(source.encode()).hexdigest()[:16]}-{ordinal:04d}"


# --- loaders -------------------------------------------------------------------------

_TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".html", ".htm", ""})


def load_document(
    path: Path,
    *,
    source: str | None = None,
    data: bytes | None = None,
    limits: Limits | None = None,
    link: str | None = None,
) -> Document:
    """Read ``path`` with the loader for its suffix; raises :class:`DocumentError`
    (:class:`DocumentTooLarge` when over ``limits``). ``link`` is the URL to cite when
    the document names none itself (KNOWLEDGE_BASE_URL + its relative path)."""
    source = source or source_id(path)
    limits = limits or Limits()
    if data is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DocumentError(f"cannot read file ({exc.strerror or exc})") from None
        if size > limits.max_file_bytes:
            raise DocumentTooLarge(
                f"file is {_mb(size)}, over the {_mb(limits.max_file_bytes)} limit "
                "(KNOWLEDGE_MAX_FILE_MB)"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read file ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    check_size(data, suffix, limits)
    if not data.strip():
        raise DocumentError("empty file")
    deadline = _Deadline(limits.max_seconds)
    if suffix in (".md", ".markdown"):
        doc = _load_markdown(_decode(data), path, source, deadline)
    elif suffix == ".pdf":
        doc = _load_pdf(data, path, source, deadline, limits)
    elif suffix in (".html", ".htm"):
        doc = _load_html(data, path, source, deadline)
    elif suffix == ".docx":
        doc = _load_docx(data, path, source, deadline)
    elif suffix in (".txt", ".text", ""):
        doc = _load_text(_decode(data), path, source, deadline)
    else:
        raise DocumentError(f"unsupported file type '{suffix}'")
    if any(_INVISIBLE.search(block.text) for block in doc.blocks):
        doc.blocks = [
            Block(_plain_letters(b.text), _plain_letters(b.section), b.page) for b in doc.blocks
        ]
    doc.title = _plain_letters(doc.title)
    if not any(block.text.strip() for block in doc.blocks):
        raise DocumentError("no text found")
    chars = sum(len(block.text) for block in doc.blocks)
    if chars > limits.max_chars:
        raise DocumentTooLarge(
            f"{chars:,} characters of text, over the {limits.max_chars:,} limit "
            "(KNOWLEDGE_MAX_CHARS)"
        )
    doc.url = safe_url(doc.url) or safe_url(source) or safe_url(link)
    return doc


# Characters that split a word for the keyword index though a reader sees one word:
# typeset ligatures ("ﬁnance" from a PDF), soft hyphens and zero-width spaces and joiners
_LETTERS = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_INVISIBLE = re.compile("[\ufb00-\ufb06\u00ad\u200b-\u200d\u2060\ufeff]")


def _plain_letters(text: str) -> str:
    return text.translate(_LETTERS) if _INVISIBLE.search(text) else text


def check_size(data: bytes, suffix: str, limits: Limits) -> None:
    """Size limits that need no parsing: bytes on disk, bytes of text, and for zip-based
    formats the uncompressed sizes the archive declares (a zip bomb is rejected before
    anything is inflated; the zip reader never inflates past a declared size)."""
    if len(data) > limits.max_file_bytes:
        raise DocumentTooLarge(
            f"file is {_mb(len(data))}, over the {_mb(limits.max_file_bytes)} limit "
            "(KNOWLEDGE_MAX_FILE_MB)"
        )
    if suffix in _TEXT_SUFFIXES and len(data) > limits.max_text_bytes:
        raise DocumentTooLarge(
            f"{_mb(len(data))} of text, over the {_mb(limits.max_text_bytes)} limit "
            "(KNOWLEDGE_MAX_TEXT_MB)"
        )
    if suffix == ".docx":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unzipped = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError, OSError):
            raise DocumentError("unreadable .docx (not a zip archive)") from None
        if unzipped > limits.max_unzipped_bytes:
            raise DocumentTooLarge(
                f"unzips to {_mb(unzipped)}, over the {_mb(limits.max_unzipped_bytes)} "
                "limit (KNOWLEDGE_MAX_UNZIPPED_MB)"
            )


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


_HYPHENATED = re.compile(r"\b[A-Za-z]+-[a-z]+\b")


def repair_hyphens(text: str) -> str:
    """Join words hyphenated at a line end ("imple-\\nmentation" -> "implementation");
    a compound the text also writes with its hyphen ("socio-\\ntechnical") keeps it, and
    so does one of two words the text uses on their own but never joined ("two-\\nweek")."""
    if "-" not in text:
        return text
    compounds = {word.lower() for word in _HYPHENATED.findall(text)}
    # the words the text uses away from any line-end break
    words = Counter(re.findall(r"[a-z0-9]+", _HYPHEN_BREAK.sub(" ", text).lower()))

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        if f"{head}-{tail}".lower() in compounds or head.isdigit():
            return f"{head}-{tail}"
        if (
            words[head.lower()]
            and words[tail.lower()]
            and (head + tail).lower() not in words
            and len(head) > 2
            and len(tail) > 2
        ):
            return f"{head}-{tail}"
        return head + tail

    return _HYPHEN_BREAK.sub(join, text)


def _clean(text: str) -> str:
    """One paragraph on one line: hyphen breaks repaired, line breaks and spaces collapsed."""
    return _WS.sub(" ", repair_hyphens(text)).strip()


def _load_markdown(text: str, path: Path, source: str, deadline: _Deadline) -> Document:
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
    in_fence = in_comment = False
    folded: list[list[tuple[int, str]]] = []  # the headings outside each open <details>

    def flush() -> None:
        if buffer:
            section = " > ".join(h for _, h in headings)
            for para in _markdown_paragraphs("\n".join(buffer)):
                blocks.append(Block(para, section))
            buffer.clear()

    for number, line in enumerate(text.split("\n")):
        if number % 2000 == 0:
            deadline.check()
        if line.lstrip().startswith(("```", "~~~")) and not in_comment:
            in_fence = not in_fence
            buffer.append(line)
            continue
        if not in_fence:
            if in_comment:  # an HTML comment over several lines: none of it is text
                in_comment = "-->" not in line
                line = line.split("-->", 1)[1] if not in_comment else ""
            elif "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
                in_comment = True
                line = line.split("<!--", 1)[0]
            summary = _MD_SUMMARY.match(line)
            if summary:
                # a folded question ("<summary>How do I rotate a key?</summary>") heads
                # its answer, and only its answer, as in a web page
                flush()
                folded.append(list(headings))
                _push_heading(headings, HAND_HEADING_LEVEL, _strip_inline(summary.group(1)))
                continue
            if _MD_DETAILS_END.match(line) and folded:
                flush()
                headings[:] = folded.pop()
                continue
        heading = None if in_fence or len(line) > 300 else _HEADING_MD.match(line)
        bold = (
            None
            if heading or in_fence or len(line) > 300 or (buffer and buffer[-1].strip())
            else _BOLD_LINE_MD.match(line)
        )
        if bold and _hand_heading(bold.group(2)):
            flush()
            if not title and not headings and not blocks:
                title = bold.group(2).strip()  # a bold first line: the document's title
                continue
            _push_heading(headings, HAND_HEADING_LEVEL, bold.group(2).strip())
            continue
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
        if len(buffer) > 200:  # a huge paragraph-free file: parse it in pieces
            flush()
    flush()
    return Document(
        source=source,
        title=title or _title_from_path(path),
        blocks=blocks,
        url=safe_url(meta.get("url")),
        kind=str(meta.get("kind") or "").strip(),
        meta={k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)},
        format="markdown",
    )


DOCX_HEADING_WORDS = 14  # a heading set by hand is a short line ...
_NOT_HEADING_END = ".,;:"  # ... that ends no sentence or clause ("?" may: an FAQ)


def _hand_heading(text: str) -> bool:
    """Whether a line set in bold by hand reads as a heading: short, and ending no
    sentence or clause (a question may: an FAQ)."""
    text = text.strip()
    return (
        bool(text) and len(text.split()) <= DOCX_HEADING_WORDS and text[-1] not in _NOT_HEADING_END
    )


def _loose_front_matter(text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            meta[key.strip()] = value.strip().strip("'\"")
    return meta


# Emphasis whose inside cannot hold its own delimiter: linear time on hostile input
# (".+?" made a line of 20,000 unmatched "*" take minutes).
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)([^_\n]+?)(?<=\S)__(?!\w)"),
    re.compile(r"\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"),
    re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"),
)
_MD_LINK = re.compile(r"!?\[([^\[\]\n]+)\]\([^()\s]*\)")


# Raw HTML that Markdown passes through (GitHub and GitLab wikis use it): the tags go,
# their text stays; a "<name>" placeholder that is no HTML tag, and code, stay as typed
_MD_HTML_TAG = re.compile(
    r"<!--[^\n]{0,1000}?-->|</?(?:a|abbr|b|i|em|strong|u|s|del|ins|mark|small|sub|sup|kbd|span|div|p|"
    r"center|font|img|picture|source|figure|figcaption|details|summary|br|hr|table|thead|"
    r"tbody|tr|td|th|ul|ol|li|dl|dt|dd|h[1-6]|section|blockquote|video|audio|iframe)"
    r"(?:\s[^<>]*)?/?>",
    re.I,
)
_MD_FOOTNOTE = re.compile(r"^\[\^[^\]\s]{1,40}\]:\s*|\[\^[^\]\s]{1,40}\]")  # [^1]: ... and ref[^1]
_MD_CODE_SPAN = re.compile(r"(`+[^`]*`+)")
_MD_SUMMARY = re.compile(r"^\s*(?:<details[^>]*>\s*)?<summary[^>]*>(.*?)</summary>\s*$", re.I)
_MD_DETAILS_END = re.compile(r"^\s*</details>\s*$", re.I)


def _strip_html(text: str) -> str:
    parts = _MD_CODE_SPAN.split(text)
    for n in range(0, len(parts), 2):  # the odd parts are code spans
        piece = re.sub(r"<br\s*/?>", " ", parts[n], flags=re.I)
        parts[n] = _MD_FOOTNOTE.sub("", _MD_HTML_TAG.sub("", piece))
    return "".join(parts)


def _strip_inline(text: str) -> str:
    """Markdown inline syntax out, identifiers such as ``TREND_NEW_WEEKS`` intact."""
    text = _MD_LINK.sub(r"\1", text)
    if "<" in text or "[^" in text:
        text = _strip_html(text)
    text = text.replace("`", "")
    for _ in range(2):  # nested emphasis such as ***bold italic***
        for pattern in _EMPHASIS:
            text = pattern.sub(r"\1", text)
    return text.strip()


def table_row(cells: Sequence[str], header: Sequence[str] | None = None, *, label: str = "") -> str:
    """A table row as text that can be quoted on its own: each cell under its column's
    heading ("Data: Prompts and replies; Kept for: 30 days; Where: the log store."), so
    a row answers "how long are prompts kept?" without the header row beside it. A row
    headed by its own first cell (``label``, an HTML ``th``), and a row of two cells in
    a table without headings, read as a field and its value ("Owner: the product lead.")."""
    cells = list(cells)
    if not header or len(header) != len(cells):
        filled = [c for c in cells if c]
        if not label and not header and len(filled) == 2 and len(filled[0]) <= 60:
            label, filled = filled[0], filled[1:]
        if label and filled:
            text = f"{label.rstrip(':')}: {'; '.join(filled)}"
            return text if text.endswith((".", "!", "?")) else f"{text}."
        return " | ".join(c for c in (label, *filled) if c)
    parts = [
        f"{h}: {c}" if h and c and h.casefold() != c.casefold() else c
        for h, c in zip(header, cells, strict=True)
        if c
    ]
    text = "; ".join(parts)
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _header_like(cells: Sequence[str]) -> bool:
    """A first row of short labels without figures: "Data | Kept for | Where"."""
    return len(cells) >= 2 and all(
        c and len(c.split()) <= 5 and not any(ch.isdigit() for ch in c) for c in cells
    )


def _markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs; each list item and table row is its own paragraph (natural units)."""
    out: list[str] = []
    for part in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in part.split("\n") if ln.strip()]
        if lines and all(ln.startswith("|") for ln in lines):
            rows = [[_strip_inline(c).strip() for c in ln.strip("|").split("|")] for ln in lines]
            separator = [all(re.fullmatch(r":?-*:?", c) for c in row) for row in rows]
            header = rows[0] if len(rows) > 2 and separator[1] else None
            for n, row in enumerate(rows):
                if separator[n] or (header is not None and n == 0):
                    continue  # the |---|---| separator; the header labels every row
                out.append(table_row(row, header))
            continue
        items = re.split(r"\n(?=\s{0,3}(?:[-*+]|\d+[.)])\s)", part)
        top: int | None = None  # indentation of the list's own items
        for item in items:
            marker = _LIST_MARKER.match(item.lstrip("\n"))
            indent = len(item.lstrip("\n")) - len(item.lstrip("\n").lstrip(" "))
            cleaned = _WS.sub(" ", _strip_inline(item)).strip()
            cleaned = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", cleaned) if cleaned else cleaned
            if cleaned.startswith(">"):
                cleaned = cleaned.lstrip("> ").strip()
            if not cleaned or re.fullmatch(r"[-|:\s]+", cleaned):
                continue
            if marker and top is None:
                top = indent
            if marker and top is not None and indent > top and out:
                # a nested item belongs to its parent: "drop candidate - any one of these:
                # no value - ...; falling - ..." stays one item of the outer list
                parent = out[-1].rstrip(";")
                out[-1] = f"{parent} {cleaned}" if parent.endswith(":") else f"{parent}; {cleaned}"
                continue
            out.append(cleaned)
    return out


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


# --- plain text: headings by shape ---------------------------------------------------

_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?"
    r"(?:\s*[-–—])?\s*$",
    re.I,
)
_BYLINE = re.compile(
    r"^(?:by|(?:written|posted|published|edited|maintained|(?:last\s+)?updated)\s+(?:by|on)|"
    r"authors?|photo(?:graph)?|illustration|image|credit)s?\b[:\s]",
    re.I,
)
_NAME_TOKEN = re.compile(r"^(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?|[A-Z]\.)$")
# Words that make a short Title Case line a heading rather than somebody's name.
_HEADING_WORDS = frozenset(
    """abstract about acknowledgements appendix approach background case cases challenge
    challenges chapter conclusion conclusions contents context contributions definitions
    discussion executive findings glossary goals guide how introduction key lessons
    limitations method methods next notes overview part phase phases practices principles
    purpose questions recommendations references results review risks scope section steps
    summary table what why""".split()  # noqa: SIM905
)


def _looks_like_name(line: str, vocabulary: set[str]) -> bool:
    """ "Firstname Lastname" (or "A. Name"): two to four capitalised tokens that the
    text never uses as ordinary lower-case words."""
    tokens = line.replace(",", " ").split()
    if not 2 <= len(tokens) <= 4 or not all(_NAME_TOKEN.match(t) for t in tokens):
        return False
    words = [t.lower().rstrip(".") for t in tokens]
    return not any(w in vocabulary or w in _HEADING_WORDS for w in words if len(w) > 1)


def _heading_level(line: str, vocabulary: set[str]) -> int | None:
    """The level of a heading-shaped line (numbered ``2.1 Data`` is 2), else None."""
    line = line.strip()
    if not line or len(line) > 90 or _BYLINE.match(line) or _PAGE_NUMBER.match(line):
        return None
    numbered = _NUMBERED_HEADING.match(line) or _NUMBERED_LOOSE.match(line)
    if numbered and len(line.split()) <= 12 and line[-1] not in ".,;:":
        return numbered.group(1).rstrip(".").count(".") + 1
    words = line.split()
    if line[-1] in ".,;:!" or line.startswith(("- ", "* ", "• ")) or len(words) > 9:
        return None
    if ";" in line or line.count(",") > 1 or " et al" in line:
        return None  # a wrapped line of prose or of a reference
    if not (line[0].isupper() or line[0].isdigit()):
        return None
    if _looks_like_name(line, vocabulary):
        return None
    return 1


def _vocabulary(text: str) -> set[str]:
    """Lower-case words the text uses in running prose (names are capitalised)."""
    return set(re.findall(r"(?<![A-Za-z])[a-z][a-z'’-]+", text))


def _text_blocks(
    text: str,
    *,
    page: int | None = None,
    section: str = "",
    deadline: _Deadline | None = None,
    meta: dict[str, Any] | None = None,
    title_of: str = "",
) -> list[Block]:
    """Paragraphs and headings of plain text (also text extracted from a PDF).

    A line is a heading when it has a heading's shape (short, capitalised, no closing
    punctuation; numbered ``3.2 Scaling``; underlined with ``===``/``---``; in capitals)
    *and* body text follows it. A byline or a bare "Firstname Lastname" line is never a
    heading: at the top of the text it goes to ``meta["byline"]``, elsewhere it stays text.
    """
    text = repair_hyphens(text)
    vocabulary = _vocabulary(text)
    # Units: (lines of a paragraph, one_per_line) in reading order.
    units: list[str] = []
    blocks_started = False  # a byline is only looked for before the first paragraph
    for raw in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in raw.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) > 1 and max(len(ln) for ln in lines) > 200:
            units.extend(lines)  # one paragraph per line
            continue
        # Underlined headings and heading lines glued on top of a wrapped paragraph.
        rest: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt and _UNDERLINE.match(nxt) and len(line) <= 90:
                if rest:
                    units.append("\n".join(rest))
                    rest = []
                units.append(("=" if nxt.strip()[0] == "=" else "-") + "\x00" + line)
                i += 2
                continue
            starts = not rest or rest[-1].rstrip()[-1:] in ".!?:"
            shaped = _heading_level(line, vocabulary) is not None or (
                not blocks_started and _is_byline(line, vocabulary)
            )
            # a numbered heading may also close a paragraph ("... process.\n3. Data and
            # methods"): its body is the next paragraph; "5.2." is a heading even after
            # a sentence that lost its full stop
            number = _NUMBERED_HEADING.match(line)
            closing = number is not None and bool(rest) and i == len(lines) - 1
            dotted = number is not None and "." in number.group(1).rstrip(".")
            if (
                (starts or closing and dotted)
                and (len(lines) - i > 1 or closing)
                and shaped
                and (
                    _NUMBERED_HEADING.match(line)
                    or _is_capitals(line)
                    or len(line) < 0.6 * _median_length(lines[:i] + lines[i + 1 :])
                )
            ):
                if rest:
                    units.append("\n".join(rest))
                    rest = []
                units.append(line)
                i += 1
                continue
            rest.append(line)
            i += 1
        if rest:
            units.append("\n".join(rest))
        # Only the top of the text can hold a byline: past a long paragraph or a few
        # units, stop looking.
        blocks_started = blocks_started or len(units) > 5 or any(len(u) > 90 for u in units)

    # A paragraph broken by a blank line (a PDF page break): the next part starts in
    # lower case and this one does not end a sentence.
    merged: list[list[str]] = []  # parts joined at the end (no quadratic concatenation)
    for unit in units:
        if (
            merged
            and "\x00" not in merged[-1][-1]
            and "\x00" not in unit
            and unit[:1].islower()
            and merged[-1][-1].rstrip()[-1:] not in ".!?:"
            and len(merged[-1]) < 50
        ):
            merged[-1].append(unit)
        else:
            merged.append([unit])
    units = ["\n".join(parts) for parts in merged]

    # In a text with numbered headings ("4.2.2. Level 2"), a short unnumbered line is
    # a table cell or a caption, not a heading, unless it reads like one ("References")
    numbered_text = sum(1 for u in units if "\n" not in u and _NUMBERED_HEADING.match(u)) >= 3
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = [(1, section)] if section else []
    seen_body = False
    previous = ""
    for n, unit in enumerate(units):
        if deadline is not None and n % 500 == 0:
            deadline.check()
        if "\x00" in unit:
            mark, name = unit.split("\x00", 1)
            _push_heading(headings, 1 if mark == "=" else 2, _WS.sub(" ", name).strip())
            continue
        flat = _WS.sub(" ", unit).strip()
        if not flat or flat == previous:
            continue  # extraction sometimes doubles a line
        previous = flat
        if "\n" not in unit and _PAGE_NUMBER.match(flat):
            continue
        level = _heading_level(flat, vocabulary) if "\n" not in unit or len(flat) <= 90 else None
        if level is None and _is_capitals(flat) and len(flat.split()) <= 8:
            level = 1
        elif (
            level is not None
            and numbered_text
            and not _NUMBERED_HEADING.match(flat)
            and not _NUMBERED_LOOSE.match(flat)
            and (_CAPTION.match(flat) or not {w.lower() for w in flat.split()} & _HEADING_WORDS)
        ):
            level = None
        if level is not None and _body_follows(units, n, vocabulary):
            if n == 0 and not headings and meta is not None and _names_file(flat, title_of):
                # a first line that names the file ("shadow-ai-sweeps.txt": "Shadow AI
                # sweeps: finding and ...") is the document's title, as a Markdown
                # "# Title" is, not a section of it
                meta["title"] = flat
                continue
            _push_heading(headings, level, flat)
            continue
        if not seen_body and n < 3 and meta is not None and _is_byline(flat, vocabulary):
            meta.setdefault("byline", flat)
            continue
        seen_body = True
        blocks.append(Block(_clean_items(unit), " > ".join(h for _, h in headings), page))
    return blocks


def _clean_items(text: str) -> str:
    """:func:`_clean`, but a paragraph holding a list ("... every month:" then lines
    "- recall ...", "- the hold ...") keeps each item on a line of its own, a wrapped
    item's next lines joined to it: the answer writer quotes a list as a list."""
    lines = [line for line in text.split("\n") if line.strip()]
    if sum(1 for line in lines if _LIST_LINE.match(line)) < 2:
        return _clean(text)
    parts: list[list[str]] = []
    for line in lines:
        if not parts or _LIST_LINE.match(line):
            parts.append([line])
        else:
            parts[-1].append(line)
    return "\n".join(_clean("\n".join(part)) for part in parts)


_CAPTION = re.compile(r"^(?:table|figure|fig\.|exhibit)\s*\d+\b", re.IGNORECASE)


def _word_stems(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def _names_file(line: str, stem: str) -> bool:
    """Whether ``line`` holds every word of the file name ``stem``."""
    wanted = _word_stems(stem.replace("_", " ").replace("-", " "))
    return bool(wanted) and wanted <= _word_stems(line)


def _median_length(lines: list[str]) -> float:
    lengths = sorted(len(line) for line in lines)
    return float(lengths[len(lengths) // 2]) if lengths else 0.0


def _is_capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and len(line.split()) <= 8


def _is_byline(line: str, vocabulary: set[str]) -> bool:
    return bool(_BYLINE.match(line)) and len(line) <= 120 or _looks_like_name(line, vocabulary)


def _body_follows(units: list[str], n: int, vocabulary: set[str]) -> bool:
    """A heading needs text under it: some later unit, before the next heading of the
    same shape, is a paragraph rather than another short line."""
    for unit in units[n + 1 : n + 4]:
        if "\x00" in unit:
            return False
        flat = _WS.sub(" ", unit).strip()
        if _heading_level(flat, vocabulary) is None and not _is_capitals(flat):
            return True
    return False


def _lift_byline(blocks: list[Block], meta: dict[str, Any]) -> list[Block]:
    """A byline or bare author name before the first paragraph is metadata, not text,
    and no section either when the page set it as a heading ("<h2>Christian ...</h2>")."""
    vocabulary = _vocabulary(" ".join(block.text for block in blocks[:200]))
    top = blocks[0].section.split(" > ")[0] if blocks else ""
    if top and _is_byline(top, vocabulary):
        meta.setdefault("byline", top)
        blocks = [
            replace(b, section=b.section[len(top) :].removeprefix(" > "))
            if b.section == top or b.section.startswith(top + " > ")
            else b
            for b in blocks
        ]
    for i, block in enumerate(blocks[:3]):
        if len(block.text) > 120:
            break
        if _is_byline(block.text, vocabulary):
            meta.setdefault("byline", block.text)
            return blocks[:i] + blocks[i + 1 :]
    return blocks


_SECTION_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s")  # "4. Findings", "4.2.1."


def _push_heading(headings: list[tuple[int, str]], level: int, name: str) -> None:
    """Open heading ``name`` at ``level``, closing the headings at its level and below.

    A numbered heading goes under the heading of its parent number ("4.2 Costs" under
    "4. Findings") also where the markup sets both at one level, as a web page, a Word
    file or a PDF often does: the number says what the type size does not."""
    number = _SECTION_NUMBER.match(name)
    if number and "." in number.group(1):
        parent = number.group(1).rsplit(".", 1)[0]
        for at in range(len(headings) - 1, -1, -1):
            above = _SECTION_NUMBER.match(headings[at][1])
            if above and above.group(1) == parent:
                level = max(level, headings[at][0] + 1)
                break
    headings[:] = [(lvl, h) for lvl, h in headings if lvl < level]
    headings.append((level, name))


def _load_text(text: str, path: Path, source: str, deadline: _Deadline) -> Document:
    meta: dict[str, Any] = {}
    blocks = _text_blocks(text, deadline=deadline, meta=meta, title_of=path.stem)
    title = str(meta.pop("title", "")) or _title_from_path(path)
    return Document(source=source, title=title, blocks=blocks, meta=meta, format="text")


# --- PDF: layout from the text operators ---------------------------------------------


@dataclass
class _Line:
    page: int
    x: float
    y: float
    size: float
    bold: bool
    text: str
    # the line's pieces as the PDF places them, [x, width, text, monospace]: table cells
    # on one line are separate pieces with a gutter between them
    cells: list[list[Any]] = field(default_factory=list)
    # where the text after a written list marker starts ("1." or a bullet set apart by a
    # tab, as an office suite lays out a list): a wrapped item's next lines start there
    text_x: float | None = None
    # a table drawn with rules (:func:`_ruled_tables`): its first line carries the rows
    # and whether the first row heads the columns; the table's other lines are ``ruled``
    grid: tuple[list[list[str]], bool] | None = None
    caption: str = ""  # the grid's title row, read as a line of its own
    ruled: bool = False
    # a grid's place on its page (top rule, bottom rule, column rules) and the lines it
    # holds: a table that goes on over a page break is read as one (:func:`_join_pages`)
    frame: tuple[float, float, list[float], list[Any]] | None = None
    fragment: tuple[list[list[str]], bool] | None = None  # one row alone (a page's foot)
    owner: Any = None  # the grid on an earlier page this one's rows went to


# A bullet from a symbol font, as office suites export it: Symbol's and Wingdings'
# glyphs sit in the private use area, so the text reads "\uf0b7 passwords ..."
_SYMBOL_BULLETS = str.maketrans(
    dict.fromkeys("\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\uf0a8\uf071", "•")
)
_OFFICE_BULLETS = "•◦▪▫■□●○‣⁃∙·–"
_MARKER_CELL = re.compile(
    rf"^(?:[{_OFFICE_BULLETS}*-]|\(?\d{{1,2}}[.)]|\(?[a-z][.)]|\(?[ivx]{{1,4}}[.)])$"
)


def _join_marker(line: _Line) -> None:
    """A list marker in a piece of its own (a bullet or "1." set off by a tab) is one
    cell with the text after it, not a column of a table; the line reads "• text"."""
    if not line.cells:
        return
    first = line.cells[0]
    first[2] = first[2].translate(_SYMBOL_BULLETS)
    line.text = line.text.translate(_SYMBOL_BULLETS)
    if len(line.cells) < 2 or not _MARKER_CELL.match(first[2]):
        return
    after = line.cells[1]
    line.text_x = float(after[0])
    marker = "•" if first[2] in _OFFICE_BULLETS else first[2]
    merged = [first[0], after[0] + after[1] - first[0], f"{marker} {after[2]}", after[3]]
    line.cells[:2] = [merged]
    if line.text.startswith(first[2]):
        line.text = marker + " " + line.text[len(first[2]) :].lstrip()


class _GlyphWidths:
    """A font's glyph widths (in thousandths of its size), by character, from pypdf's
    reading of the font resource; a composite (Type0) font keys its widths by glyph
    code, so its character map leads from a character to its code."""

    def __init__(self, font: Any) -> None:
        from pypdf.generic._font import Font

        read = Font.from_font_resource(font)
        self.widths: dict[str, float] = dict(read.character_widths)
        self.default = float(self.widths.get("default", 500) or 500)
        self.codes: dict[str, str] = {}
        if read.sub_type == "Type0" and isinstance(read.character_map, dict):
            for code, char in read.character_map.items():
                if isinstance(code, str) and isinstance(char, str) and len(char) == 1:
                    self.codes.setdefault(char, code)

    def of(self, text: str) -> float:
        return sum(float(self.widths.get(self.codes.get(ch, ch), self.default)) for ch in text)


def _font_widths(font: Any) -> _GlyphWidths | None:
    """The glyph widths of a font resource, or None when pypdf cannot read them."""
    try:
        return _GlyphWidths(font)
    except Exception:  # noqa: BLE001 - a font pypdf cannot read: widths are estimated
        return None


_MONOSPACE = re.compile(r"courier|mono|consol|code|typewriter|cmtt", re.IGNORECASE)


def _page_lines(
    page: Any,
    number: int,
    *,
    deadline: _Deadline | None = None,
    max_chars: int = 0,
    fonts: dict[int, tuple[Any, _GlyphWidths | None]] | None = None,
) -> list[_Line]:
    """The page's text lines with position and font size, in content-stream order.

    The text is exactly pypdf's own extraction (its visitor sees the same pieces,
    spaces and line breaks included); the visitor adds where each line sits and how
    large and bold its font is."""
    lines: list[_Line] = []
    current: list[_Line] = []  # the line being built (empty: the next piece opens one)
    seen = [0, 0]  # calls, characters: a hostile page is stopped from inside pypdf
    # id of a font resource -> (the resource, kept so that its id stays its own; its widths),
    # shared by the pages of one file: their fonts are mostly the same objects
    metrics = fonts if fonts is not None else {}

    def width(text: str, font: Any, mono: bool, eff: float) -> float:
        key = id(font)
        if key not in metrics:
            metrics[key] = (font, _font_widths(font) if hasattr(font, "get") else None)
        known = metrics[key][1]
        if known is not None:
            return known.of(text) / 1000 * eff
        return (0.6 if mono else 0.5) * eff * len(text)

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text:
            return
        seen[0] += 1
        seen[1] += len(text)
        if max_chars and seen[1] > max_chars:
            raise DocumentTooLarge(f"over {max_chars:,} characters of text (KNOWLEDGE_MAX_CHARS)")
        if deadline is not None and seen[0] % 1000 == 0:
            deadline.check()
        a, b, c, d, e, f = (float(v) for v in cm)
        scale = math.hypot(tm[2] * a + tm[3] * c, tm[2] * b + tm[3] * d) or 1.0
        eff = abs(float(size or 0) * scale) or 1.0
        x = tm[4] * a + tm[5] * c + e
        y = tm[4] * b + tm[5] * d + f
        name = str(font.get("/BaseFont", "")) if hasattr(font, "get") else ""
        bold = "bold" in name.lower() or "black" in name.lower()
        mono = bool(_MONOSPACE.search(name))
        for k, piece in enumerate(text.split("\n")):
            if k > 0:
                current.clear()  # a line break: the next piece starts a new line
            if not piece:
                continue
            words = piece.strip()
            cell = [x, width(words, font, mono, eff), words, mono] if words else None
            if not current:
                line = _Line(number, x, y - k * eff * 1.2, eff, bold, piece, [])
                if cell is not None:
                    line.cells.append(cell)
                lines.append(line)
                current.append(line)
                continue
            line = current[0]
            if words:
                if line.text.strip():
                    line.size = max(line.size, eff)
                    line.bold = line.bold and bold
                else:  # the line so far was only spaces: this piece defines it
                    line.x, line.y, line.size, line.bold = x, y, eff, bold
                if cell is not None:
                    line.cells.append(cell)
            line.text += piece

    page.extract_text(visitor_text=visit)
    for line in lines:
        line.text = _WS.sub(" ", line.text).strip()
        _join_marker(line)
    return [line for line in lines if line.text]


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


# A web browser's print header and footer (Chromium, Edge): the date and time with the
# page's title at the top, its address with "page/pages" at the bottom. On a one-page
# print nothing repeats, so they are known by their shape.
_PRINT_ADDRESS = re.compile(r"^\s*(?:file|https?)://\S+(?:\s+\d{1,4}\s*/\s*\d{1,4})?\s*$", re.I)
_PRINT_STAMP = re.compile(
    r"^\s*\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?(?:\s|$)", re.I
)
# The site's footer at the end of a printed page: from its copyright line on
_PRINT_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)\s|copyright\b)", re.I)
PRINT_FOOTER_LINES = 8  # a site footer is found among a printed page's last lines
# a sidebar's heading ("Most popular", "Related pages") among a printed page's last
# lines, in a type other than the text's: the links and teasers under it are the site's
_PRINT_WIDGET = re.compile(
    r"^\s*(?:most (?:popular|read|viewed)|popular (?:articles|pages|posts|now)|related "
    r"(?:articles|pages|posts|content|links|reading|stories)|you (?:may|might) also like|"
    r"read (?:more|next)|recommended(?: for you)?|trending(?: now)?|more from [\w &'-]+|"
    r"latest (?:news|posts|articles)|see also)\s*$",
    re.I,
)
PRINT_WIDGET_LINES = 12


SIDE_COLUMN_GAP = 150.0  # a sidebar's heading stands this far right of the text's margin


def _drop_side_column(lines: list[_Line], body: float) -> list[_Line]:
    """A printed page without the site's sidebar printed beside the article: under a
    widget heading ("Related pages") set well right of the page's text margin, the lines
    of its column (links, a help box) go; the article beside and after it stays."""
    if not lines:
        return lines
    margin = min(line.x for line in lines)
    side = next(
        (
            line
            for line in lines
            if round(line.size, 1) != body
            and line.x >= margin + SIDE_COLUMN_GAP
            and _PRINT_WIDGET.match(line.text)
        ),
        None,
    )
    if side is None:
        return lines
    return [line for line in lines if not (line.x >= side.x - 1.0 and line.y <= side.y + 1.0)]


def _print_edge(text: str) -> bool:
    """A line of a browser's print header or footer: the address, or the date and time."""
    return bool(_PRINT_ADDRESS.match(_plain_letters(text)) or _PRINT_STAMP.match(text))


def _browser_printed(pages: list[list[_Line]]) -> bool:
    """Whether the pages carry a browser's print footer (the address, "1/3"; its "fi" may
    come as a ligature, "ﬁle://")."""
    for lines in pages:
        if lines and any(
            _PRINT_ADDRESS.match(_plain_letters(line.text))
            and re.search(r"\d\s*/\s*\d+\s*$", line.text)
            for line in _edge_lines(lines)
        ):
            return True
    return False


def _edge_lines(lines: list[_Line]) -> list[_Line]:
    """The lines on a page's two highest and two lowest baselines."""
    if not lines:
        return []
    ys = sorted({round(line.y) for line in lines})
    edge_ys = set(ys[:2]) | set(ys[-2:])
    return [line for line in lines if round(line.y) in edge_ys]


def _drop_overlays(pages: list[list[_Line]]) -> None:
    """Drop, in place, the pieces of text a browser printed at the same place on most
    pages: a fixed cookie banner or bar, printed over whatever the page has there (a
    table row, a paragraph), so that its words do not run into that text. The print
    header and footer stay for :func:`_drop_running_lines`, which knows them."""
    with_text = sum(1 for lines in pages if lines)
    if with_text < 2:
        return  # on one page nothing repeats
    threshold = max(2, math.ceil(0.5 * with_text))

    def key(cell: list[Any], line: _Line) -> tuple[int, int, str]:
        return (round(cell[0]), round(line.y), cell[2])

    counts: dict[tuple[int, int, str], int] = {}
    for lines in pages:
        for k in {key(cell, line) for line in lines for cell in line.cells}:
            counts[k] = counts.get(k, 0) + 1
    for lines in pages:
        for line in lines:
            if _print_edge(line.text):
                continue
            repeated = [cell for cell in line.cells if counts[key(cell, line)] >= threshold]
            if not repeated:
                continue
            text = line.text
            for cell in repeated:
                text = text.replace(cell[2], " ", 1)
            line.cells = [cell for cell in line.cells if cell not in repeated]
            line.text = _WS.sub(" ", text).strip()
            if line.cells:
                line.x = line.cells[0][0]
        lines[:] = [line for line in lines if line.text and not _consent_buttons(line.text)]


# the buttons of a cookie banner, printed as a line of their own: "Accept all cookies
# Necessary cookies only", "Allow statistics Sign-in cookie only Read more"
_CONSENT_TEXT = (
    "accept all cookies cookie necessary essential only reject decline allow manage "
    "preferences settings agree ok got it and i customise customize choices statistics "
    "analytics marketing functional sign in read more learn save"
)
_CONSENT_WORDS = frozenset(_CONSENT_TEXT.split())
_CONSENT_VERBS = frozenset(("accept", "reject", "decline", "allow", "agree", "manage"))
_CONSENT_NOUNS = frozenset(
    ("cookies", "cookie", "necessary", "essential", "preferences", "statistics")
)


def _consent_buttons(text: str) -> bool:
    """Whether a line is only a cookie banner's buttons (a verb and what it allows)."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    return words <= _CONSENT_WORDS and bool(words & _CONSENT_VERBS and words & _CONSENT_NOUNS)


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, lines repeated at the top or bottom of many pages, and a web
    browser's print header and footer."""
    if _browser_printed(pages):
        trimmed = []
        for lines in pages:
            edge_ids = {id(line) for line in _edge_lines(lines)}
            trimmed.append(
                [line for line in lines if id(line) not in edge_ids or not _print_edge(line.text)]
            )
        pages = trimmed

    counts: dict[str, int] = {}
    for lines in pages:
        for key in {_edge_key(line.text) for line in _edge_lines(lines)}:
            counts[key] = counts.get(key, 0) + 1
    with_text = sum(1 for lines in pages if lines)
    threshold = max(2, math.ceil(0.5 * with_text))
    out: list[list[_Line]] = []
    for lines in pages:
        edge_ids = {id(line) for line in _edge_lines(lines)}
        kept = []
        for line in lines:
            if id(line) in edge_ids and len(lines) > 1:
                if _PAGE_NUMBER.match(line.text):
                    continue
                if with_text >= 2 and counts.get(_edge_key(line.text), 0) >= threshold:
                    continue
            kept.append(line)
        out.append(kept)
    return out


# --- tables drawn with rules --------------------------------------------------------

RULE_TOLERANCE = 2.0  # points: rules this close meet (a cell's border drawn on its own)
MAX_RULES = 1000  # a page with more line segments is a drawing, not tables
_PAINT = frozenset({"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"})


def _page_rules(
    page: Any,
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """The page's straight rules in page space: horizontal ``(y, x0, x1)`` and vertical
    ``(x, y0, y1)``, from stroked lines and thin filled rectangles (a table's borders as
    office suites, browsers and PDF libraries draw them)."""
    contents = page.get_contents()
    if contents is None:
        return [], []
    data = contents.get_data()
    if len(_PATH_OPS.findall(data)) < 6:
        return [], []  # too few lines drawn for a grid
    ops = _path_operations(data)
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    path: list[tuple[float, ...]] = []  # segments (a box's edges carry a fifth value)
    start = (0.0, 0.0)
    here = (0.0, 0.0)
    across: list[tuple[float, float, float]] = []
    down: list[tuple[float, float, float]] = []

    def point(x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = ctm
        return (a * x + c * y + e, b * x + d * y + f)

    for args, op in ops:
        if op == "q":
            stack.append(list(ctm))
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm" and len(args) == 6:
            a, b, c, d, e, f = args
            A, B, C, D, E, F = ctm
            ctm = [
                a * A + b * C,
                a * B + b * D,
                c * A + d * C,
                c * B + d * D,
                e * A + f * C + E,
                e * B + f * D + F,
            ]
        elif op == "m" and len(args) == 2:
            start = here = point(*args)
        elif op == "l" and len(args) == 2:
            nxt = point(*args)
            path.append((*here, *nxt))
            here = nxt
        elif op == "h":
            path.append((*here, *start))
            here = start
        elif op == "re" and len(args) == 4:
            x, y, w, h = args
            corners = [point(x, y), point(x + w, y), point(x + w, y + h), point(x, y + h)]
            xs = [c[0] for c in corners]
            ys = [c[1] for c in corners]
            width, height = max(xs) - min(xs), max(ys) - min(ys)
            if height <= RULE_TOLERANCE < width:
                mid = (max(ys) + min(ys)) / 2
                path.append((min(xs), mid, max(xs), mid))
            elif width <= RULE_TOLERANCE < height:
                mid = (max(xs) + min(xs)) / 2
                path.append((mid, min(ys), mid, max(ys)))
            else:
                # a box: its edges are rules when stroked (a cell's border), not when
                # only filled (a cell's shading, a banner's background)
                path += [(*corners[k], *corners[(k + 1) % 4], 1.0) for k in range(4)]
        elif op in _PAINT or op == "n":
            stroked = op in ("S", "s", "B", "B*", "b", "b*")
            path = [seg for seg in path if len(seg) == 4 or stroked]
            if op != "n":
                for x0, y0, x1, y1, *_ in path:
                    if abs(y0 - y1) < 1 and abs(x1 - x0) > 5:
                        across.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
                    elif abs(x0 - x1) < 1 and abs(y1 - y0) > 3:
                        down.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))
            path = []
        if len(across) + len(down) > MAX_RULES:
            return [], []
    return across, down


# the tokens of a content stream: strings and names (skipped whole, so that text in them
# is no operator), numbers and operators
_CONTENT_TOKEN = re.compile(
    rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>{}%]*|%[^\r\n]*"
    rb"|([-+]?(?:\d+\.?\d*|\.\d+))|([A-Za-z'\"*]+)"
)
_PATH_OPS = re.compile(rb"\s(?:l|re)\s")
_GEOMETRY = frozenset({"q", "Q", "cm", "m", "l", "re", "h", "n"}) | _PAINT


def _path_operations(data: bytes) -> list[tuple[list[float], str]]:
    """The operators that draw paths (and set the transform), with their numbers: a
    plain scan of the stream, much faster than parsing every text object."""
    out: list[tuple[list[float], str]] = []
    numbers: list[float] = []
    for match in _CONTENT_TOKEN.finditer(data):
        number, word = match.group(1), match.group(2)
        if number is not None:
            numbers.append(float(number))
            continue
        if word is None:
            numbers.clear()  # a string, a name: operands of another kind
            continue
        op = word.decode("latin-1")
        if op in _GEOMETRY:
            out.append((numbers, op))
        if op in ("BI", "ID"):
            return out  # an inline image's data follows: no more paths read
        numbers = []
    return out


def _positions(values: list[float]) -> list[float]:
    """Distinct positions, values within RULE_TOLERANCE of each other taken as one."""
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= RULE_TOLERANCE:
            continue
        out.append(value)
    return out


def _ruled_tables(lines: list[_Line], page: Any) -> None:
    """Mark the tables of a page drawn with rules, each connected group of rules read by
    :func:`_read_grid`: a grid's first line gets the rows (``grid``), its other lines are
    ``ruled`` (no longer read as text); a part too small to be a table alone is kept as a
    ``fragment`` for :func:`_join_pages`."""
    if not lines:
        return
    across, down = _page_rules(page)
    if len(across) < 2 or len(down) < 3:
        return
    tol = RULE_TOLERANCE
    rules: list[tuple[str, float, float, float]] = [("h", *r) for r in across]
    rules += [("v", *r) for r in down]
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    def chain(segments: list[tuple[float, float, float]], offset: int) -> list[int]:
        """Join the pieces of one border drawn end to end; the segments' order by place."""
        order = sorted(range(len(segments)), key=lambda i: segments[i][:2])
        for a, b in zip(order, order[1:], strict=False):
            (pa, a0, a1), (pb, b0, b1) = segments[a], segments[b]
            if abs(pa - pb) <= tol and b0 <= a1 + tol and a0 <= b1 + tol:
                join(offset + a, offset + b)
        return order

    flat = chain(across, 0)
    chain(down, len(across))
    heights = [across[i][0] for i in flat]
    for v, (x, y0, y1) in enumerate(down):  # each upright rule and the rules it crosses
        for k in range(
            bisect.bisect_left(heights, y0 - tol), bisect.bisect_right(heights, y1 + tol)
        ):
            h = flat[k]
            if across[h][1] - tol <= x <= across[h][2] + tol:
                join(h, len(across) + v)
    groups: dict[int, list[tuple[str, float, float, float]]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    for group in groups.values():
        _read_grid(group, lines)


def _read_grid(group: list[tuple[str, float, float, float]], lines: list[_Line]) -> None:
    """Read the text of ``lines`` inside one connected group of rules, if it is a grid."""
    tol = RULE_TOLERANCE
    flat = [r for r in group if r[0] == "h"]

    def spans_a_row(x: float, y0: float, y1: float) -> bool:
        heights = {
            round(h[1])
            for h in flat
            if y0 - tol <= h[1] <= y1 + tol and h[2] - tol <= x <= h[3] + tol
        }
        return len(heights) >= 2

    # an upright rule that meets the grid's rules at one height only is drawn beside the
    # table (a button's border under its last row), not between two of its columns
    group = [r for r in group if r[0] == "h" or spans_a_row(r[1], r[2], r[3])]
    xs = _positions([r[1] for r in group if r[0] == "v"])
    ys = _positions([r[1] for r in group if r[0] == "h"])[::-1]  # top first
    if len(xs) < 3 or len(ys) < 2:
        return  # a box around a note, a rule under a heading: no grid
    inside = [
        line
        for line in lines
        if not line.ruled
        and line.cells
        and ys[-1] < line.y < ys[0]
        and all(xs[0] - tol <= c[0] < xs[-1] for c in line.cells)
    ]
    if not inside:
        return
    downs = [r for r in group if r[0] == "v"]
    acrosses = [r for r in group if r[0] == "h"]

    def walled(c: int, r: int) -> bool:  # a rule left of column c in row r
        mid = (ys[r] + ys[r + 1]) / 2
        return any(abs(v[1] - xs[c]) <= tol and v[2] - tol <= mid <= v[3] + tol for v in downs)

    def floored(r: int, c: int) -> bool:  # a rule above row r in column c
        mid = (xs[c] + xs[c + 1]) / 2
        return any(abs(h[1] - ys[r]) <= tol and h[2] - tol <= mid <= h[3] + tol for h in acrosses)

    def owner(r: int, c: int) -> tuple[int, int]:
        """The cell a grid square belongs to: merged cells have no rule between."""
        while True:
            if c > 0 and not walled(c, r):
                c -= 1
            elif r > 0 and not floored(r, c):
                r -= 1
            else:
                return r, c

    cells: list[list[list[str]]] = [[[] for _ in xs[1:]] for _ in ys[1:]]
    bold = [True for _ in ys[1:]]
    for line in inside:
        row = next(r for r in range(len(ys) - 1) if ys[r + 1] <= line.y <= ys[r])
        for x, _, text, _ in line.cells:
            # a cell's text starts inside it (the glyph widths that give where a piece
            # ends are estimates, and a cell's padding is small)
            col = next((c for c in range(len(xs) - 1) if x < xs[c + 1] - tol), len(xs) - 2)
            r, c = owner(row, col)
            cells[r][c].append(text)
            bold[r] = bold[r] and line.bold
    kept = [(r, row) for r, row in enumerate(cells) if any(row)]
    caption = ""
    if kept and not any(walled(c, kept[0][0]) for c in range(1, len(xs) - 1)):
        # a title row across the whole table ("Handover rules, version 2.1")
        caption = _clean("\n".join(kept[0][1][0]))
        kept = kept[1:]
    table = [[_clean("\n".join(cell)) for cell in row] for _, row in kept]
    frame = (ys[0], ys[-1], xs, inside)
    if sum(1 for row in table if sum(1 for cell in row if cell) > 1) < TABLE_MIN_ROWS:
        if table and not caption:
            # a part of a table cut by a page break (its headings alone at a page's foot,
            # the rest of a row overleaf): read as one with the other part, if it has one
            heads = [bold[r] for r, _ in kept]
            inside[0].fragment = (table, heads[0] and (len(heads) == 1 or not all(heads[1:])))
            inside[0].frame = frame
        return
    heads = [bold[r] for r, _ in kept]
    if heads[0] and not all(heads[1:]):
        header = True
    else:
        header = len(xs) > 3 and _header_like(table[0]) and not any(heads)
    inside[0].grid = (table, header)
    inside[0].caption = caption
    inside[0].frame = frame
    for line in inside:
        line.ruled = True


def _join_pages(pages: list[list[_Line]]) -> None:
    """A ruled table that goes on over a page break is one table: the grid at the top of
    a page whose columns are those of the grid at the foot of the page before takes its
    rows to that one (a row split at the break is joined again, headings repeated at the
    top of the page are dropped), and a row alone at a page's foot heads the rows overleaf.
    Only lines at a page's edges (a running header or footer) may stand between them."""
    for k in range(len(pages) - 1):
        before, after = pages[k], pages[k + 1]
        last = [ln for ln in before if ln.frame is not None]
        first = [ln for ln in after if ln.frame is not None and (ln.grid or ln.fragment)]
        if not last or not first:
            continue
        a = min(last, key=lambda ln: ln.frame[1] if ln.frame else 0.0)  # the lowest table
        b = max(first, key=lambda ln: ln.frame[0] if ln.frame else 0.0)  # the highest next
        if a.frame is None or b.frame is None or (a.fragment and b.fragment):
            continue
        _, bottom_a, cols_a, held_a = a.frame
        top_b, _, cols_b, held_b = b.frame
        if len(cols_a) != len(cols_b) or any(
            abs(x - y) > 2 for x, y in zip(cols_a, cols_b, strict=True)
        ):
            continue
        edges = {id(ln) for ln in _edge_lines(before) + _edge_lines(after)}
        held = {id(ln) for ln in held_a + held_b}
        if any(ln.y < bottom_a and id(ln) not in held | edges for ln in before):
            continue  # text below the first part: the table ended there
        if any(ln.y > top_b and id(ln) not in held | edges for ln in after):
            continue  # text above the second part: a table of its own
        target = a.owner or a
        part = b.grid or b.fragment
        assert part is not None
        rows_b = list(part[0])
        for line in held_b:
            line.ruled = True  # a lone row overleaf was left as text: it is read here
        if a.fragment is not None:
            rows_a, header = a.fragment
            for line in held_a:
                line.ruled = True
        else:
            assert target.grid is not None
            rows_a, header = target.grid
            if header and rows_b and rows_b[0] == rows_a[0]:
                rows_b = rows_b[1:]  # the headings repeated at the top of the page
        if rows_b and rows_a and _split_row(rows_b[0]):
            # a row split at the break goes on overleaf: its cells are joined again
            pairs = zip(rows_a[-1], rows_b[0], strict=False)
            rows_a = rows_a[:-1] + [[" ".join(p for p in pair if p) for pair in pairs]]
            rows_b = rows_b[1:]
        target.grid, target.fragment = (rows_a + rows_b, header), None
        b.grid, b.fragment, b.owner = None, None, target


def _split_row(row: list[str]) -> bool:
    """Whether the first row of a table's part overleaf is the rest of a row cut at the
    page break: its first cell empty, or (in three columns or more) one cell only."""
    filled = sum(1 for cell in row if cell)
    return not row[0] or len(row) >= 3 and filled <= 1


TABLE_MIN_ROWS = 2  # a table has at least this many rows of two cells or more
_LEADER = re.compile(r"(?:\.\s?){4}")  # the dots that lead to a page number in a contents


def _spread(line: _Line) -> bool:
    """Whether some piece of the line stands an em or more right of the one before it."""
    return any(
        b[0] - (a[0] + a[1]) >= line.size for a, b in zip(line.cells, line.cells[1:], strict=False)
    )


def _left_of_edge(cell: list[Any], starts: list[float], cover: list[list[float]]) -> bool:
    """Whether ``cell`` begins left of where the column it falls in has its cells begin,
    when two cells or more begin at one place there (a column of cells set from the left)."""
    x, width = float(cell[0]), float(cell[1])
    column = next(((lo, hi) for lo, hi in cover if x < hi + 0.5 and x + width > lo - 0.5), None)
    if column is None:
        return False
    inside = sorted(s for s in starts if column[0] - 0.5 <= s <= column[1] + 0.5)
    edges = [a for a, b in zip(inside, inside[1:], strict=False) if b - a < 0.5]
    return bool(edges) and x < edges[0] - 2


def _pdf_table(
    lines: Sequence[_Line], start: int, floor: int = 0
) -> tuple[int, int, list[list[str]], bool, list[list[float]]] | None:
    """The table whose first line of cells set apart is ``lines[start]``:
    (first index, end index, rows of cells, whether the first row heads the columns,
    the columns' spans),
    or None. Lines before ``floor`` (an earlier table's) are not taken.

    A table is a run of lines in one type size whose text leaves the same vertical gutters
    free (its columns); it ends at a line that runs across a gutter (a paragraph), and
    takes the label lines just above it (a header cell wrapped over two lines). Cells may
    be set left, centred or from the top, and a cell wrapped over several lines is one
    cell. A new row begins where a piece falls in a column left of the one before it, as
    the cells of a row are written left to right. Lines that merely line up are no table:
    a contents page's leaders, a bulleted list, code in a typewriter font, and fewer than
    ``TABLE_MIN_ROWS`` rows with two cells."""
    first = lines[start]
    size = first.size

    def usable(line: _Line) -> bool:
        return (
            line.page == first.page
            and abs(line.size - size) <= 0.15 * size
            and bool(line.cells)
            and not any(_LEADER.search(cell[2]) for cell in line.cells)
        )

    def merged(spans: list[tuple[float, float]]) -> list[list[float]]:
        out: list[list[float]] = []
        for lo, hi in sorted(spans):
            if out and lo <= out[-1][1]:
                out[-1][1] = max(out[-1][1], hi)
            else:
                out.append([lo, hi])
        return out

    def spans(line: _Line) -> list[tuple[float, float]]:
        return [(float(c[0]), float(c[0]) + max(float(c[1]), 0.1)) for c in line.cells]

    def joins(line: _Line, cover: list[list[float]]) -> list[list[float]] | None:
        """The columns with ``line`` in them, or None when it runs across a gutter."""
        for lo, hi in spans(line):
            if sum(1 for c_lo, c_hi in cover if lo < c_hi and hi > c_lo) > 1:
                return None
        return merged([(c[0], c[1]) for c in cover] + spans(line))

    if not (usable(first) and _spread(first)):
        return None
    cover = merged(spans(first))
    begin = start
    while begin > floor:
        above = lines[begin - 1]
        if not (
            usable(above) and 0 < above.y - first.y <= 2.5 * size and above.text[-1:] not in ".!?:"
        ):
            break
        grown = joins(above, cover)
        if grown is None:
            break
        cover, begin = grown, begin - 1
    end, lowest = start + 1, first.y
    starts: list[float] = [float(c[0]) for line in lines[begin:end] for c in line.cells]
    while end < len(lines):
        line = lines[end]
        if not usable(line):
            break
        if line.y < lowest - 3.5 * size:
            # far below the table: a paragraph after it, unless the next line goes back
            # up (a short cell set in the middle of a tall row, written before the rest)
            after = lines[end + 1] if end + 1 < len(lines) else None
            if after is None or not usable(after) or after.y <= line.y:
                break
        grown = joins(line, cover)
        if grown is None:
            break
        if len(line.cells) == 1 and _left_of_edge(line.cells[0], starts, cover):
            break  # a short paragraph set left of the cells' own left edge: the table ended
        starts += [float(c[0]) for c in line.cells]
        cover, lowest, end = grown, min(lowest, line.y), end + 1
    if len(cover) < 2:
        return None

    def column(x: float) -> int:
        return next(j for j, (lo, hi) in enumerate(cover) if lo - 0.5 <= x <= hi + 0.5)

    rows: list[list[list[str]]] = []
    bold: list[bool] = []  # whether each row is set in bold type throughout
    last = -1
    for line in lines[begin:end]:
        for x, _, text, _ in line.cells:
            j = column(float(x))
            if not rows or j < last:
                rows.append([[] for _ in cover])
                bold.append(True)
            rows[-1][j].append(text)
            bold[-1] = bold[-1] and line.bold
            last = j
    if sum(1 for row in rows if sum(1 for cell in row if cell) > 1) < TABLE_MIN_ROWS:
        return None
    if all(c[3] for line in lines[begin:end] for c in line.cells):
        return None  # code in a typewriter font, its comments lined up
    table = [[_clean("\n".join(cell)) for cell in row] for row in rows]
    if all(_LIST_LINE.match(row[0] + " ") or not row[0] for row in table):
        return None  # bullets or numbers beside their items: a list
    if bold[0] and not all(bold[1:]):
        header = True  # a first row in bold above rows that are not: the headings
    else:
        # labels without figures head the columns, but not of two columns with no type
        # to tell them apart: "Contact | #help", "Hours | 08:00 to 18:00" is a list of
        # fields, and reading its first row as headings would pair the wrong cells
        header = len(cover) > 2 and _header_like(table[0]) and not any(bold)
    return begin, end, table, header, cover


def _join_aligned_tables(
    items: list[tuple[str, int, list[_Line]]],
    tables: list[tuple[list[list[str]], bool]],
    covers: dict[int, list[list[float]]],
) -> None:
    """A table set without rules that goes on over a page break is one table: the table
    that opens a page, in the columns of the table that closed the page before, takes
    its rows there, under its headings (headings repeated overleaf are dropped, a row cut
    at the break is joined again). ``covers``: each aligned table's column spans."""
    k = 0
    while k + 1 < len(items):
        (kind_a, a, lines_a), (kind_b, b, lines_b) = items[k], items[k + 1]
        headings = (
            _headings_overleaf(lines_a, lines_b, covers.get(b))
            if kind_a != "t" and kind_b == "t"
            else None
        )
        if headings is not None and not tables[b][1]:
            # the headings alone at the foot of the page before (read as a heading line)
            tables[b] = ([headings, *tables[b][0]], True)
            del items[k]
            continue
        cover_a = covers.get(a) if kind_a == "t" else None
        cover_b = covers.get(b) if kind_b == "t" else None
        if (
            cover_a is None
            or cover_b is None
            or lines_b[0].page != lines_a[-1].page + 1
            or len(cover_a) != len(cover_b)
            or any(
                lo_a >= hi_b or lo_b >= hi_a
                for (lo_a, hi_a), (lo_b, hi_b) in zip(cover_a, cover_b, strict=True)
            )
        ):
            k += 1
            continue
        (rows_a, headed_a), (rows_b, headed_b) = tables[a], tables[b]
        rows_b = list(rows_b)
        if headed_b and not (headed_a and rows_b[0] == rows_a[0]):
            k += 1
            continue  # a table with headings of its own
        if headed_b:
            rows_b = rows_b[1:]  # the headings repeated overleaf
        if rows_b and _split_row(rows_b[0]):
            pairs = zip(rows_a[-1], rows_b[0], strict=False)
            rows_a = rows_a[:-1] + [[" ".join(p for p in pair if p) for pair in pairs]]
            rows_b = rows_b[1:]
        tables[a] = (rows_a + rows_b, headed_a)
        lines_a.extend(lines_b)
        del items[k + 1]


def _headings_overleaf(
    lines: list[_Line], table_lines: list[_Line], cover: list[list[float]] | None
) -> list[str] | None:
    """The column headings, when ``lines`` (one line, in bold) head the table set without
    rules that opens the next page: a piece over each of its columns; else None."""
    if cover is None or len(lines) != 1 or not table_lines:
        return None
    line = lines[0]
    if not line.bold or table_lines[0].page != line.page + 1 or len(line.cells) != len(cover):
        return None
    cells = sorted(line.cells, key=lambda c: float(c[0]))
    if not all(
        float(c[0]) < hi and float(c[0]) + max(float(c[1]), 0.1) > lo
        for c, (lo, hi) in zip(cells, cover, strict=True)
    ):
        return None
    return [_clean(str(c[2])) for c in cells]


def _pdf_blocks(
    pages: list[list[_Line]], meta: dict[str, Any], *, printed: bool = False
) -> list[Block]:
    """Blocks from positioned lines: larger (or bold, short) lines are headings, ranked
    by size; a unique largest line on the first page is the title; the rest joins into
    paragraphs split at wider vertical gaps. A web page ``printed`` from a browser loses
    what stands above its title (banners, the site's name and menu) and its site footer
    (from the copyright line on)."""
    sizes: dict[float, int] = {}
    for lines in pages:
        for line in lines:
            key = round(line.size, 1)
            sizes[key] = sizes.get(key, 0) + len(line.text)
    if not sizes:
        return []
    body = max(sizes.items(), key=lambda kv: kv[1])[0]
    if printed:
        pages = [_drop_side_column(lines, body) for lines in pages]
    all_lines = [line for lines in pages for line in lines]
    if printed:
        tail = len(all_lines) - PRINT_FOOTER_LINES
        for n in range(len(all_lines) - 1, max(tail, 0) - 1, -1):
            if _PRINT_COPYRIGHT.match(all_lines[n].text):
                del all_lines[n:]
                break
        # the site's sidebar printed after the article: "Most popular" and its links
        for n in range(len(all_lines) - 1, max(len(all_lines) - PRINT_WIDGET_LINES, 0) - 1, -1):
            line = all_lines[n]
            if round(line.size, 1) != body and _PRINT_WIDGET.match(line.text):
                del all_lines[n:]
                break
    body_lines = [ln for ln in all_lines if round(ln.size, 1) == body]
    body_bold = sum(len(ln.text) for ln in body_lines if ln.bold) > 0.5 * sum(
        len(ln.text) for ln in body_lines
    )

    def is_heading(line: _Line) -> bool:
        words = len(line.text.split())
        if words > 20 or len(line.text) > 160 or _PAGE_NUMBER.match(line.text):
            return False
        if line.size >= body * 1.15:
            return True
        return (
            line.bold
            and not body_bold
            and line.size >= body * 0.95
            and words <= 12
            and line.text[-1] not in ".,;:"
        )

    heading_sizes = sorted({round(ln.size, 1) for ln in all_lines if is_heading(ln)}, reverse=True)

    def level(line: _Line) -> int:
        key = round(line.size, 1)
        if key in heading_sizes and key > body * 1.1:
            return heading_sizes.index(key) + 1
        return len(heading_sizes) + 1  # bold body-size lines: the lowest level

    # Group consecutive heading lines of one level (a heading wrapped over two lines).
    items: list[tuple[str, int, list[_Line]]] = []  # ("h"|"p"|"t", level | table, lines)
    tables: list[tuple[list[list[str]], bool]] = []  # each table's rows; headed or not
    covers: dict[int, list[list[float]]] = {}  # a table set without rules: its columns
    n = floor = 0
    while n < len(all_lines):
        line = all_lines[n]
        if line.grid is not None:
            if line.caption:
                items.append(("p", 0, [replace(line, text=line.caption, cells=[])]))
            items.append(("t", len(tables), [line]))
            tables.append(line.grid)
            n = floor = n + 1
            continue
        if line.ruled:
            n += 1
            continue
        table = _pdf_table(all_lines, n, floor) if len(line.cells) > 1 else None
        if table is not None:
            begin, end, rows, headed, cover = table
            covers[len(tables)] = cover
            if begin < n:  # its header's first lines were taken as text: give them back
                taken = {id(ln) for ln in all_lines[begin:n]}
                while items and items[-1][0] == "p" and id(items[-1][2][0]) in taken:
                    items.pop()
            items.append(("t", len(tables), all_lines[begin:end]))
            tables.append((rows, headed))
            n = floor = end
            continue
        n += 1
        if is_heading(line):
            lvl = level(line)
            if items and items[-1][0] == "h" and items[-1][1] == lvl:
                prev = items[-1][2][-1]
                if prev.page == line.page and 0 < prev.y - line.y < 2.0 * line.size:
                    items[-1][2].append(line)
                    continue
            items.append(("h", lvl, [line]))
        else:
            items.append(("p", 0, [line]))

    _join_aligned_tables(items, tables, covers)
    first_heading = next((it for it in items if it[0] == "h"), None)
    top = heading_sizes[0] if heading_sizes else None
    if first_heading is not None and top is not None and first_heading[2][0].page == 1:
        top_count = sum(1 for it in items if it[0] == "h" and round(it[2][0].size, 1) == top)
        at_top = items[0] is first_heading
        if (
            round(first_heading[2][0].size, 1) == top
            and top_count == 1
            and (len(heading_sizes) > 1 or at_top)
        ):
            meta["title"] = " ".join(ln.text for ln in first_heading[2])
            at = items.index(first_heading)
            title = meta["title"].lower()
            # a running header above the title ("Firm - Retiring a model version -
            # internal"): on a one-page document it repeats on no other page
            items[:at] = [
                it
                for it in items[:at]
                if not printed
                and not (it[0] == "p" and len(it[2]) == 1 and title in it[2][0].text.lower())
            ]
            items.remove(first_heading)

    gaps = sorted(
        a.y - b.y
        for a, b in zip(body_lines, body_lines[1:], strict=False)
        if a.page == b.page and 0 < a.y - b.y < 3 * body
    )
    line_gap = gaps[len(gaps) // 2] if gaps else body * 1.2
    widths = sorted(len(ln.text) for ln in body_lines)
    full = widths[int(len(widths) * 0.75)] if widths else 0

    # A list whose bullets are drawn, not written (a browser's print of a web page): its
    # lines stand indented from the text's left edge, a wrapped item's lines too
    lefts: dict[int, int] = {}
    for ln in body_lines:
        lefts[round(ln.x)] = lefts.get(round(ln.x), 0) + 1
    # the text's edge: the leftmost start that many lines share (a page of lists has more
    # item lines than text lines)
    common = [x for x, count in lefts.items() if count >= max(2, 0.1 * len(body_lines))]
    margin = min(common) if common else min(lefts, default=0)

    def indented(line: _Line) -> bool:
        return (
            round(line.size, 1) == body
            and margin + 1.2 * line.size <= line.x <= margin + 6 * line.size
            and not _LIST_LINE.match(line.text)
        )

    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    para: list[_Line] = []
    items_at: list[int] = []  # blocks that are drawn-bullet list items

    def flush() -> None:
        if para:
            text = _clean("\n".join(ln.text for ln in para))
            if text:
                if indented(para[0]):
                    items_at.append(len(blocks))
                blocks.append(Block(text, " > ".join(h for _, h in headings), para[0].page))
            para.clear()

    for kind, lvl, lines in items:
        if kind == "h":
            flush()
            _push_heading(headings, lvl, _clean("\n".join(ln.text for ln in lines)))
            continue
        if kind == "t":
            flush()
            rows, headed = tables[lvl]
            header = rows[0] if headed else None
            section = " > ".join(h for _, h in headings)
            for row in rows[1:] if headed else rows:
                if any(row):
                    blocks.append(Block(table_row(row, header), section, lines[0].page))
            continue
        line = lines[0]
        if para:
            prev = para[-1]
            gap = prev.y - line.y
            closes = prev.text[-1:] in ".!?:"
            # Only a paragraph's last line is short: a short line ends the paragraph.
            ended = len(prev.text) < (0.8 if closes else 0.6) * full
            inside = indented(line)
            clause_ends = prev.text[-1:] in ".!?:;"
            # a drawn-bullet list begins or ends (not mid-sentence), or its next item begins
            list_edge = inside != indented(prev) and (clause_ends or not line.text[:1].islower())
            next_item = inside and clause_ends and abs(prev.x - line.x) < 1
            # a written item's wrapped line starts where the item's text does
            head = para[0]
            if head.text_x is not None and abs(line.x - head.text_x) < 1 and not ended:
                list_edge = next_item = False
            if (
                _LIST_LINE.match(line.text)  # a list item starts its own block
                or list_edge
                or next_item
                or prev.page != line.page
                and (closes or ended and line.text[:1].isupper())
                or prev.page == line.page
                and (gap > line_gap * 1.4 or gap <= -line.size or ended)
            ):
                flush()
        para.append(line)
    flush()
    # two or more items in a row are a list: marked as one, as a written bullet would be
    marked = {n for n in items_at if n - 1 in items_at or n + 1 in items_at}
    return [
        Block(f"- {b.text}", b.section, b.page) if n in marked else b for n, b in enumerate(blocks)
    ]


def _content_size(page: Any) -> int:
    """Decoded bytes of a page's content streams (inflating is fast; parsing is not)."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    parts = contents if isinstance(contents, list) else [contents]
    total = 0
    for part in parts:
        data = part.get_object().get_data()
        total += len(data)
    return total


def _load_pdf(
    data: bytes, path: Path, source: str, deadline: _Deadline, limits: Limits
) -> Document:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    meta: dict[str, Any] = {}
    printed = False  # a web page printed to PDF by a browser
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF")
        count = len(reader.pages)
        if count > limits.max_pages:
            raise DocumentTooLarge(
                f"{count} pages, over the {limits.max_pages} page limit (KNOWLEDGE_MAX_PAGES)"
            )
        pages: list[list[_Line]] = []
        chars = 0
        skipped: list[int] = []
        fonts: dict[int, tuple[Any, _GlyphWidths | None]] = {}
        for number, page in enumerate(reader.pages, start=1):
            deadline.check()
            if _content_size(page) > limits.max_page_content_bytes:
                skipped.append(number)
                pages.append([])
                continue
            lines = _page_lines(
                page, number, deadline=deadline, max_chars=limits.max_chars - chars, fonts=fonts
            )
            chars += sum(len(line.text) for line in lines)
            if chars > limits.max_chars:
                raise DocumentTooLarge(
                    f"over {limits.max_chars:,} characters of text (KNOWLEDGE_MAX_CHARS)"
                )
            pages.append(lines)
        if _browser_printed(pages):
            _drop_overlays(pages)
        for lines, page in zip(pages, reader.pages, strict=True):
            deadline.check()
            if lines:
                _ruled_tables(lines, page)
        _join_pages(pages)
        if skipped:
            meta["skipped_pages"] = ",".join(str(n) for n in skipped)
        printed = _browser_printed(pages)
        kept = _drop_running_lines(pages)
        blocks = _lift_byline(_pdf_blocks(kept, meta, printed=printed), meta)
        if skipped and not blocks:
            raise DocumentTooLarge(
                f"pages {meta['skipped_pages']} hold over "
                f"{_mb(limits.max_page_content_bytes)} of drawing instructions each"
            )
        if not blocks:  # no positioned text: fall back to pypdf's plain extraction
            section = ""
            for number, page in enumerate(reader.pages, start=1):
                deadline.check()
                page_blocks = _text_blocks(
                    page.extract_text() or "", page=number, section=section, deadline=deadline
                )
                if page_blocks:
                    section = page_blocks[-1].section
                blocks.extend(page_blocks)
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"unreadable PDF ({type(exc).__name__})") from None
    # the title a printed web page's browser gave the PDF is the page's <title>, with the
    # site's name after it ("Value tracking | AI spine wiki"): its own heading is better
    found = str(meta.pop("title", ""))
    title = (found if printed else "") or str(info_title).strip() or found
    title = title or _title_from_path(path)
    return Document(source=source, title=title, blocks=blocks, meta=meta, format="pdf")


# --- HTML ----------------------------------------------------------------------------

_HTML_BLOCKS = frozenset(
    {"p", "li", "pre", "blockquote", "dd", "dt", "figcaption", "caption", "address"}
)
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HTML_INLINE = frozenset(
    """a abbr b bdi bdo cite code data del dfn em i ins kbd mark q s samp small span strong
    sub sup time u var wbr label font""".split()  # noqa: SIM905
)
_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "nav",
    "aside",
    "form",
    "template",
    "iframe",
    "svg",
    "button",
    "select",
    "textarea",
    "input",
    "dialog",
    "object",
    "embed",
    "canvas",
)
_BOILERPLATE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
)
_BOILERPLATE_NAME = re.compile(
    r"(?:[a-z0-9]+[-_])*?(?:cookies?|consent|banner|gdpr|(?:bread)?crumbs?|sidebar|skip-?links?|"
    r"newsletter|share|sharing|social|advert|ads|promo|popup|modal|site-?(?:header|footer|nav))"
    r"(?:[-_][a-z0-9]+)*",
    re.I,
)
# Site chrome in a page built of divs ("<div id='footer'>", "<ul class='menu'>"), as
# semantic tags mark it in newer pages: menus and footers wherever they are, a header
# outside the article (an article's own header holds its title)
_CHROME_NAME = re.compile(  # "main-menu", "footer-links"; not "layout-with-footer"
    r"(?:[a-z0-9]+[-_])?(?:footer|menu|menus|menubar|navbar|nav|navigation|topbar|toolbar)"
    r"(?:[-_][a-z0-9]+){0,2}",
    re.I,
)
_HEADER_NAME = re.compile(r"(?:(?:site|global|top)[-_]?)?(?:header|masthead)", re.I)
# A class saying the page *has* a banner ("has-cookie-banner", "no-sidebar") is not one.
_STATE_PREFIXES = ("no-", "has-", "with-", "is-", "show-", "hide-", "without-")
_NEVER_BOILERPLATE = frozenset({"html", "body", "main", "article"})


# A folded part of the text that the reader opens: an accordion's or FAQ's answer, a tab,
# an "expand" section. Hidden until clicked, it is text all the same.
_FOLDED_NAME = re.compile(
    r"(?:[a-z0-9]+[-_])*?(?:accordions?|collapse|collapsible|collapsed|panel|tab-?pane|"
    r"tab-?panel|tabs?-?content|expand|expandable|expand-?content|disclosure|toggle-?content|"
    r"faq|answer|details)(?:[-_][a-z0-9]+)*",
    re.I,
)


def _is_boilerplate(tag: Any, in_content: bool = False) -> bool:
    attrs = getattr(tag, "attrs", None)
    if getattr(tag, "name", "") in _NEVER_BOILERPLATE:
        return False
    if not attrs:
        return _is_trail(tag)
    if str(attrs.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    classes = attrs.get("class") or []
    tokens = [str(attrs.get("id", "")), *(classes if isinstance(classes, list) else [classes])]
    style = str(attrs.get("style", "")).replace(" ", "").lower()
    if (
        "hidden" in attrs
        or str(attrs.get("aria-hidden", "")).lower() == "true"
        or "display:none" in style
        or "visibility:hidden" in style
    ):
        # hidden: chrome (a banner, a menu) unless it is a folded part of the article
        folded = str(attrs.get("role", "")).lower() in ("tabpanel", "region") or any(
            token and _FOLDED_NAME.fullmatch(token) for token in tokens
        )
        if not (in_content or folded):
            return True
    return any(
        token
        and not token.lower().startswith(_STATE_PREFIXES)
        and (
            _BOILERPLATE_NAME.fullmatch(token)
            or _CHROME_NAME.fullmatch(token)
            or (not in_content and _HEADER_NAME.fullmatch(token) and tag.find("h1") is None)
        )
        for token in tokens
    ) or _is_trail(tag)


_TRAIL_SEPARATOR = re.compile(r"\s*[›»]\s*")


def _is_trail(tag: Any) -> bool:
    """A breadcrumb trail however it is marked up: short links joined by › or »
    ("AI spine › Portfolio › Use-case handover")."""
    if getattr(tag, "name", "") not in ("p", "div", "ol", "ul", "span"):
        return False
    strings = []
    size = 0
    for string in tag.strings:  # stop early: a container of the page is no trail
        strings.append(string.strip())
        size += len(strings[-1])
        if size > 200:
            return False
    text = " ".join(filter(None, strings))
    if not _TRAIL_SEPARATOR.search(text):
        return False
    parts = [part for part in _TRAIL_SEPARATOR.split(text) if part]
    links = tag.find_all("a")
    return len(parts) >= 2 and len(links) >= len(parts) - 1 and max(map(len, parts)) <= 60


_HTML_CONTAINERS = frozenset({*_HTML_BLOCKS, *_HTML_HEADINGS, "div"})
_HTML_DROP_SET = frozenset(_HTML_DROP)


def _html_drops(tag: Any, in_content: bool) -> bool:
    """Site chrome: scripts, navigation, forms, the page's header and every footer,
    asides, cookie banners and other boilerplate by role, class or id. A header inside
    the article or main part is kept (it holds the article's h1)."""
    name = tag.name
    if name in _HTML_DROP_SET or name == "footer" or name == "header" and not in_content:
        return True
    return _is_boilerplate(tag, in_content)


def _html_visible(tag: Any) -> bool:
    """No ancestor of ``tag`` (nor the tag) is boilerplate."""
    chain = [p for p in reversed(list(tag.parents)) if p.name != "[document]"]
    in_content = False
    for node in [*chain, tag]:
        if _html_drops(node, in_content):
            return False
        in_content = in_content or node.name in ("article", "main")
    return True


MAX_SPAN = 50  # a cell spans at most this many rows or columns (hostile markup)


def _span(cell: Any, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr, "1")).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def _table_cells(found: list[Any], carry: dict[int, list[Any]]) -> list[str]:
    """A row's cells in column order: a cell spanning columns fills each of them, and a
    cell spanning rows ("Silver" beside two rows of limits) is repeated in the rows below
    (``carry`` holds what is still to be repeated, by column)."""
    cells: list[str] = []
    pending = iter(found)
    column = 0
    while True:
        held = carry.get(column)
        if held is not None:
            cells.append(held[0])
            held[1] -= 1
            if held[1] <= 0:
                del carry[column]
            column += 1
            continue
        cell = next(pending, None)
        if cell is None:
            break
        text = _WS.sub(" ", cell.get_text(" ")).strip()
        down = _span(cell, "rowspan")
        for _ in range(_span(cell, "colspan")):
            if down > 1:
                carry[column] = [text, down - 1]
            cells.append(text)
            column += 1
    return cells


def _disclosure(tag: Any) -> bool:
    """A button that opens a folded part of the page, with a short label of its own."""
    if tag.name != "button" or not (tag.get("aria-controls") or tag.get("aria-expanded")):
        return False
    text = _WS.sub(" ", tag.get_text(" ")).strip()
    return 0 < len(text) <= 200 and not _is_boilerplate(tag)


_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b", re.I)


def _html_all_bold(element: Any) -> bool:
    """Whether every piece of text in ``element`` is inside bold type (``b``, ``strong``
    or an inline ``font-weight`` of 600 or more), and there is some."""
    from bs4 import NavigableString

    seen = False
    for piece in element.descendants:
        if not isinstance(piece, NavigableString) or not piece.strip():
            continue
        seen = True
        node = piece.parent
        while node is not None and node is not element.parent:
            if node.name in ("b", "strong") or _BOLD_STYLE.search(str(node.get("style", ""))):
                break
            node = node.parent
        else:
            return False  # reached the paragraph's parent: this piece is not bold
    return seen


def _load_html(data: bytes, path: Path, source: str, deadline: _Deadline) -> Document:
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    try:
        soup = BeautifulSoup(data, "html.parser")
    except Exception as exc:  # bs4 raises assorted parser errors on garbage
        raise DocumentError(f"unreadable HTML ({type(exc).__name__})") from None
    deadline.check()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    url = None
    canonical = soup.find("link", rel="canonical")
    og_url = soup.find("meta", attrs={"property": "og:url"})
    for candidate in (
        canonical.get("href") if isinstance(canonical, Tag) else None,
        og_url.get("content") if isinstance(og_url, Tag) else None,
    ):
        if candidate:
            base = source if source.startswith(("http://", "https://")) else ""
            url = safe_url(urljoin(base, str(candidate).strip()) if base else candidate)
            if url:
                break
    # Boilerplate is skipped while walking, not removed from the tree: bs4's removal
    # costs time in the number of siblings, which made large pages quadratic.
    root: Any = soup.find("main") or soup.find(None, {"role": "main"})
    if root is None:
        articles = soup.find_all("article")
        if articles:
            root = max(articles, key=lambda a: len(a.get_text(" ", strip=True)))
    if root is None:
        root = soup.body or soup
    deadline.check()
    title = page_title
    has_h1 = False
    for scope in (root, soup):
        h1 = next((h for h in scope.find_all("h1") if _html_visible(h)), None)
        if h1 is not None:
            title = _WS.sub(" ", h1.get_text(" ")).strip() or page_title
            has_h1 = True
            break
    hand_title: list[str] = []  # a leading bold paragraph, on a page without an h1

    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    pending: list[str] = []

    term = [""]  # a definition list's term, put before the first block of its definition

    def add(text: str) -> None:
        text = _WS.sub(" ", text).strip()
        if text:
            if term[0]:
                # "Quota" then "The number of requests ...": one passage that says what
                # a quota is, so a question about the term finds and quotes its meaning
                text = f"{term[0]}: {text}"
                term[0] = ""
            blocks.append(Block(text, " > ".join(h for _, h in headings)))

    def flush() -> None:
        if pending:
            add("".join(pending))
            pending.clear()

    visited = [0]
    headers: dict[int, list[str]] = {}  # table -> its header row
    spans: dict[int, dict[int, list[Any]]] = {}  # table -> column -> [text, rows left]

    def walk(element: Any, in_content: bool) -> None:
        for child in element.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pending.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            visited[0] += 1
            if visited[0] % 2000 == 0:
                deadline.check()
            if _disclosure(child):
                # an accordion's button ("How long is a claim kept?") heads the panel it
                # opens, as a folded question's summary does
                flush()
                label = _WS.sub(" ", child.get_text(" ")).strip()
                _push_heading(headings, HAND_HEADING_LEVEL, label)
                opened[0] += 1
                continue
            if _html_drops(child, in_content):
                continue
            name = child.name
            if name in _HTML_HEADINGS:
                flush()
                text = _WS.sub(" ", child.get_text(" ")).strip()
                if text:
                    level = int(name[1])
                    if not (level == 1 and text == title):
                        _push_heading(headings, level, text)
                    else:
                        headings.clear()
            elif name == "br":
                pending.append("\n")
            elif name in _HTML_INLINE:
                pending.append(child.get_text())
            elif name == "tr":
                flush()
                found = child.find_all(["td", "th"], recursive=False) or child.find_all(
                    ["td", "th"]
                )
                table = child.find_parent("table")
                key = id(table)
                cells = _table_cells(found, spans.setdefault(key, {}))
                in_head = child.find_parent("thead") is not None
                if len(found) == 1 and _span(found[0], "colspan") > 1 and key not in headers:
                    add(cells[0])  # a title row across the table ("Daily quotas by tier")
                elif (
                    found and (in_head or all(c.name == "th" for c in found)) and key not in headers
                ):
                    headers[key] = cells  # labels every row below it
                elif len(found) > 1 and found[0].name == "th" and key not in headers:
                    add(table_row(cells[1:], None, label=cells[0]))  # "Owner: the lead."
                else:
                    add(table_row(cells, headers.get(key)))
            elif name == "dt":
                flush()
                term[0] = _WS.sub(" ", child.get_text(" ")).strip().rstrip(":")
            elif name == "details":
                # a question shown folded ("<summary>What happens when ...?</summary>")
                # heads its answer, and only its answer
                flush()
                outer = list(headings)
                walk(child, in_content)
                flush()
                headings[:] = outer
            elif name == "summary":
                flush()
                text = _WS.sub(" ", child.get_text(" ")).strip()
                if text:
                    _push_heading(headings, 7, text)
            elif name in _HTML_BLOCKS and not any(
                getattr(d, "name", None) in _HTML_CONTAINERS for d in child.descendants
            ):
                flush()
                text = _WS.sub(" ", child.get_text(" ")).strip()
                if name == "p" and _html_all_bold(child) and _hand_heading(text):
                    # "<p><strong>Approvals</strong></p>": a heading typed by hand; the
                    # first, before any text, is the title of a page without an h1
                    if not has_h1 and not headings and not blocks and not hand_title:
                        hand_title.append(text)
                    else:
                        _push_heading(headings, HAND_HEADING_LEVEL, text)
                else:
                    add(child.get_text())
            else:
                flush()
                outer, before = list(headings), opened[0]
                walk(child, in_content or name in ("article", "main"))
                flush()
                if opened[0] != before:
                    headings[:] = outer  # an accordion item's question heads only its panel

    opened = [0]  # accordion buttons seen: each heads only the item it is in
    walk(root, getattr(root, "name", "") in ("article", "main"))
    flush()
    meta: dict[str, Any] = {}
    blocks = _lift_byline(blocks, meta)
    title = hand_title[0] if hand_title else title
    return Document(
        source=source,
        title=title or _title_from_path(path),
        blocks=blocks,
        url=url,
        meta=meta,
        format="html",
    )


# --- .docx ---------------------------------------------------------------------------


def _load_docx(data: bytes, path: Path, source: str, deadline: _Deadline) -> Document:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"unreadable .docx ({type(exc).__name__})") from None
    deadline.check()
    title = (document.core_properties.title or "").strip()
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    items = list(_docx_items(document))
    # each paragraph's text, read from its XML once ("" for a table)
    texts = [
        "" if isinstance(it, Table) else _WS.sub(" ", _docx_text(it._p)).strip() for it in items
    ]
    formatted = _formatted_headings(items, texts)
    for n, item in enumerate(items):
        if n % 500 == 0:
            deadline.check()
        if isinstance(item, Table):
            # each row by grid column (a cell merged across columns once per column it
            # covers, as under a header) and by cell (merged cells once)
            rows: list[tuple[list[str], list[str]]] = []
            for row in item.rows:
                grid: list[str] = []
                unique: list[str] = []
                last = None
                for cell in row.cells:
                    text = _WS.sub(" ", cell.text).strip()
                    grid.append(text)
                    if cell._tc is not last:
                        unique.append(text)
                    last = cell._tc
                while unique and not unique[-1]:
                    unique.pop()
                if any(unique):
                    rows.append((grid, unique))
            # a title row across the table ("Daily quotas by tier") is its caption
            while len(rows) > 2 and len(rows[0][1]) == 1 and len(rows[1][1]) > 1:
                blocks.append(Block(rows.pop(0)[1][0], " > ".join(h for _, h in headings)))
            header = rows[0][1] if len(rows) > 1 and _header_like(rows[0][1]) else None
            if header is not None and len(header) == 2 and _label_column(item):
                header = None  # "Owner | the product lead": a field and its value per row
            for grid, unique in rows[1:] if header else rows:
                cells = grid if header and len(grid) == len(header) else unique
                blocks.append(Block(table_row(cells, header), " > ".join(h for _, h in headings)))
            continue
        text = texts[n]
        if not text:
            continue
        level = _docx_heading_level(item.style)
        if level is None:
            level = formatted.get(n)
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
    meta: dict[str, Any] = {}
    blocks = _lift_byline(blocks, meta)
    return Document(
        source=source,
        title=title or _title_from_path(path),
        blocks=blocks,
        meta=meta,
        format="docx",
    )


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TEXT_BOX = _W + "txbxContent"
_NOT_TEXT = frozenset({_W + "del", _W + "pPr", _W + "rPr"})  # deleted text, properties


def _docx_items(document: Any) -> Iterator[Any]:
    """The body's paragraphs and tables in reading order, also those inside content
    controls (``w:sdt``: a template's fields, often its whole body) that python-docx's
    own iteration skips; after a paragraph, the paragraphs of its text boxes (a callout,
    a sidebar), each once (Word stores a text box twice: drawing and fallback)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body

    def walk(element: Any, parent: Any) -> Iterator[Any]:
        for child in element.iterchildren():
            if child.tag == _W + "p":
                yield Paragraph(child, parent)
                for box in _text_boxes(child):
                    for inner in box.iterchildren(_W + "p"):
                        yield Paragraph(inner, parent)
            elif child.tag == _W + "tbl":
                yield Table(child, parent)
            elif child.tag == _W + "sdt":
                for content in child.iterchildren(_W + "sdtContent"):
                    yield from walk(content, parent)

    yield from walk(body, document._body)


def _text_boxes(paragraph: Any) -> list[Any]:
    """The outermost text boxes anchored in a paragraph, not their fallback copies."""
    found = []
    for box in paragraph.iter(_TEXT_BOX):
        node = box.getparent()
        inside = False
        while node is not None and node is not paragraph:
            if node.tag in (_MC_FALLBACK, _TEXT_BOX):
                inside = True
                break
            node = node.getparent()
        if not inside:
            found.append(box)
    return found


def _docx_text(paragraph: Any) -> str:
    """A paragraph's text from its XML: runs also inside inline content controls,
    fields and insertions; not its text boxes (read as paragraphs of their own) nor
    deleted text."""
    out: list[str] = []

    def walk(element: Any) -> None:
        for child in element.iterchildren():
            tag = child.tag
            if tag in (_TEXT_BOX, _MC_FALLBACK) or tag in _NOT_TEXT:
                continue
            if tag == _W + "t":
                out.append(child.text or "")
            elif tag == _W + "tab":
                out.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                out.append("\n")
            else:
                walk(child)

    walk(paragraph)
    return "".join(out)


def _run_format(paragraph: Any) -> tuple[bool, float | None]:
    """Whether all of a paragraph's text is bold, and its largest font size (points;
    None when no run or style sets one)."""
    style_font = getattr(getattr(paragraph, "style", None), "font", None)
    style_bold = bool(getattr(style_font, "bold", None))
    style_size = getattr(style_font, "size", None)
    bold = True
    size: float | None = style_size.pt if style_size is not None else None
    seen = False
    for run in paragraph.runs:
        if not run.text.strip():
            continue
        seen = True
        if not (run.bold or (run.bold is None and style_bold)):
            bold = False
        if run.font.size is not None:
            size = max(size or 0.0, run.font.size.pt)
    return bold and seen, size


def _formatted_headings(items: list[Any], texts: list[str]) -> dict[int, int]:
    """Headings made by hand in Word: short paragraphs in bold or in a larger type than
    the text, not in a heading style, followed by text. Their level goes by size
    (larger is higher); bold lines in the text's own size are the lowest level, below
    any heading style's. ``texts``: each item's text ("" for a table). Returns item
    position -> level."""
    paragraphs: list[tuple[int, str, bool, float | None, bool]] = []
    sizes: dict[float | None, int] = {}
    offset = 0  # the deepest heading style's level
    for n, (item, text) in enumerate(zip(items, texts, strict=True)):
        if not text:
            continue  # a table, or an empty paragraph
        style_level = _docx_heading_level(item.style)
        styled = style_level is not None
        offset = max(offset, style_level or 0)
        listed = "list" in (getattr(item.style, "name", "") or "").lower() or (
            item._p.pPr is not None and item._p.pPr.numPr is not None
        )
        bold, size = _run_format(item)
        paragraphs.append((n, text, bold, size, styled or listed))
        if not bold and not styled:
            sizes[size] = sizes.get(size, 0) + len(text)
    if not sizes:
        return {}
    body = max(sizes.items(), key=lambda kv: kv[1])[0]
    body_pt = body or 11.0

    def candidate(text: str, bold: bool, size: float | None) -> bool:
        if not _hand_heading(text):
            return False
        larger = size is not None and size >= body_pt * 1.15
        return larger or (bold and (size is None or size >= body_pt * 0.95))

    found: list[tuple[int, float]] = []
    for i, (n, text, bold, size, skip) in enumerate(paragraphs):
        if skip or not candidate(text, bold, size):
            continue
        after = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        if after is None:
            continue  # the last line of the document heads nothing
        _, next_text, next_bold, next_size, next_skip = after
        if (
            not next_skip
            and candidate(next_text, next_bold, next_size)
            and (next_size or body_pt) >= (size or body_pt)
        ):
            continue  # bold lines of one size in a row: emphasis, not headings
        found.append((n, size or body_pt))
    ranked = sorted({sz for _, sz in found if sz >= body_pt * 1.15}, reverse=True)
    lowest = len(ranked) + 1
    return {n: offset + (ranked.index(sz) + 1 if sz in ranked else lowest) for n, sz in found}


def _label_column(table: Any) -> bool:
    """A Word table of fields (a template's "Owner | Status | Review date" block): the
    first cell of every row in bold, the other cells not, so its first row is a field
    like the others, not column headings."""
    rows = [row.cells for row in table.rows]
    if len(rows) < 2:
        return False

    def bold(cell: Any) -> bool:
        marks = [_run_format(p)[0] for p in cell.paragraphs if p.text.strip()]
        return bool(marks) and all(marks)

    firsts = [cells[0] for cells in rows if len(cells) >= 2 and cells[0]._tc is not cells[1]._tc]
    if len(firsts) < 2:
        return False
    return all(bold(c) for c in firsts) and not any(
        bold(cell) for cells in rows for cell in cells[1:] if cell._tc is not cells[0]._tc
    )


def _docx_heading_level(style: Any) -> int | None:
    """``Title`` is 0, ``Heading N`` is N, also for custom styles based on them."""
    for _ in range(5):
        if style is None:
            return None
        name = (getattr(style, "name", "") or "").strip()
        if name.lower() == "title":
            return 0
        match = re.match(r"heading\s*(\d)", name, re.I)
        if match:
            return int(match.group(1))
        style = getattr(style, "base_style", None)
    return None


# --- chunking ------------------------------------------------------------------------


# A full stop that ends an abbreviation, not a sentence: "Fisher et al. (2020)", "e.g. GPT".
_ABBREVIATION_END = re.compile(
    r"(?:\bet al|\b[A-Za-z]\.[A-Za-z]|\b(?:cf|vs|approx|incl|resp|Dr|Mr|Mrs|Ms|Prof|Fig|No|pp?))\.$"
)


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if out and _ABBREVIATION_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


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


_LIST_LINE = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+")


def _list_like(piece: str) -> bool:
    """A list item: a marker, or a short line that is no sentence (loaders drop markers)."""
    return bool(_LIST_LINE.match(piece)) or (
        len(piece) <= 120 and not piece.rstrip().endswith((".", "?", "!", ":"))
    )


def _tail_overlap(text: str) -> str:
    """The last sentence of a chunk (if short enough), repeated at the next one's start."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return ""
    last = sentences[-1]
    return last if len(last) <= OVERLAP_CHARS else ""


def chunk_document(doc: Document, *, max_chunks: int | None = None) -> list[Chunk]:
    """Pack paragraphs into ~1,000-character chunks within one section and page;
    :class:`DocumentTooLarge` when that makes more than ``max_chunks``."""
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
            full = current and size + len(piece) + 1 > MAX_CHARS
            # a list is not cut between two of its items while it fits
            in_list = bool(current) and _list_like(current[-1]) and _list_like(piece)
            if full or size >= TARGET_CHARS and not in_list:
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

    if max_chunks is not None and len(texts) > max_chunks:
        raise DocumentTooLarge(
            f"{len(texts):,} chunks, over the {max_chunks:,} limit (KNOWLEDGE_MAX_CHUNKS)"
        )
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
            format=doc.format,
        )
        for ordinal, (section, page, text) in enumerate(texts)
    ]
