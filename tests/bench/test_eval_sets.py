"""The held-out evaluation sets are sound: every answer can be found where the set says.

A question whose anchor is not in its document, or whose key fact is not in the answering
passage, would score a correct engine as wrong (or a wrong one as right), so the files
under ``bench/eval`` are checked here. The seed part is skipped when no seed folder exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import eval_sets
from bench.eval_formats import render_company, text_blocks, write_docx, write_html, write_pdf
from bench.eval_sets import (
    COMPANY_DIR,
    EVAL_DIR,
    SEED_FILES,
    Question,
    Text,
    chunk_plain,
    company_sources,
    extract_plain,
    is_hit,
    locate,
    passage,
    seeds_dir,
)

ANSWERABLE_KEYS = {"id", "question", "doc", "anchor", "facts", "fold"}
UNANSWERABLE_KEYS = {"id", "question", "unanswerable", "fold"}


def load(name: str) -> list[dict]:
    return eval_sets.read_jsonl(EVAL_DIR / name)


def check_set(items: list[dict], sources: dict[str, str]) -> list[str]:
    problems = []
    ids = [item.get("id") for item in items]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    for item in items:
        qid = item.get("id")
        if item.get("fold") not in (1, 2):
            problems.append(f"{qid}: fold must be 1 or 2")
        if item.get("unanswerable"):
            if set(item) != UNANSWERABLE_KEYS or item["unanswerable"] is not True:
                problems.append(f"{qid}: an unanswerable question has only {UNANSWERABLE_KEYS}")
            continue
        if set(item) != ANSWERABLE_KEYS:
            problems.append(f"{qid}: keys {sorted(item)} (expected {sorted(ANSWERABLE_KEYS)})")
            continue
        if not 3 <= len(item["anchor"].split()) < 8:
            problems.append(f"{qid}: the anchor has 3-7 words")
        text = sources.get(item["doc"])
        if text is None:
            problems.append(f"{qid}: unknown doc {item['doc']}")
            continue
        found = passage(text, item["anchor"])
        if found is None:
            problems.append(f"{qid}: anchor {item['anchor']!r} not in {item['doc']}")
            continue
        if not item["facts"]:
            problems.append(f"{qid}: no key fact")
        for fact in item["facts"]:
            if not Text(found).has_fact(fact):
                problems.append(f"{qid}: fact {fact!r} not in the answering passage")
    return problems


def test_company_questions_point_at_passages_that_hold_their_key_facts() -> None:
    items = load("company.jsonl")
    assert check_set(items, company_sources()) == []


def test_company_set_is_big_enough_with_both_folds_and_eight_unanswerables() -> None:
    items = load("company.jsonl")
    answerable = [i for i in items if not i.get("unanswerable")]
    unanswerable = [i for i in items if i.get("unanswerable")]
    assert len(answerable) >= 30 and len(unanswerable) >= 8
    assert {i["fold"] for i in answerable} == {1, 2} == {i["fold"] for i in unanswerable}
    assert len({i["doc"] for i in answerable}) >= 4
    assert {Path(i["doc"]).suffix for i in answerable} >= {".md", ".pdf", ".docx", ".html"}


def test_company_markdown_comes_with_and_without_front_matter() -> None:
    texts = [p.read_text() for p in (COMPANY_DIR / "docs").glob("*.md")]
    assert any(t.startswith("---\n") for t in texts)
    assert any(not t.startswith("---\n") for t in texts)


def test_seed_questions_point_at_passages_that_hold_their_key_facts() -> None:
    folder = seeds_dir()
    if folder is None:
        pytest.skip("no seed folder (SPINEBOT_SEEDS_DIR or ../shared/seeds)")
    sources = {name: (folder / name).read_text(encoding="utf-8") for name in SEED_FILES}
    items = load("seeds.jsonl")
    assert check_set(items, sources) == []
    answerable = [i for i in items if not i.get("unanswerable")]
    assert len(answerable) >= 30
    assert sum(1 for i in items if i.get("unanswerable")) >= 8
    assert {i["doc"] for i in answerable} == set(SEED_FILES)


def test_seed_set_stores_no_seed_sentences() -> None:
    for item in load("seeds.jsonl"):
        assert len(item.get("anchor", "").split()) < 8
        assert all(len(json.dumps(f).split()) < 8 for f in item.get("facts", []))


def test_seed_set_repeats_no_run_of_twelve_seed_words() -> None:
    # short facts in a row can still spell out a seed sentence (a list of five skills)
    folder = seeds_dir()
    if folder is None:
        pytest.skip("no seed folder (SPINEBOT_SEEDS_DIR or ../shared/seeds)")

    def run_words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", re.sub(r"-\s*\n\s*", "", text).lower())

    size = 12
    seen: set[tuple[str, ...]] = set()
    for name in SEED_FILES:
        found = run_words((folder / name).read_text(encoding="utf-8"))
        seen.update(tuple(found[i : i + size]) for i in range(len(found) - size + 1))
    copied = []
    for line in (EVAL_DIR / "seeds.jsonl").read_text(encoding="utf-8").splitlines():
        found = run_words(line)
        if any(tuple(found[i : i + size]) in seen for i in range(len(found) - size + 1)):
            copied.append(json.loads(line)["id"])
    assert copied == []


def test_company_documents_rendered_as_pdf_and_docx_still_hold_every_anchor(
    tmp_path: Path,
) -> None:
    written = render_company(COMPANY_DIR, tmp_path)
    suffixes = {p.suffix for p in written}
    assert {".pdf", ".docx", ".html", ".md"} <= suffixes
    texts = {p.name: Text(extract_plain(p)) for p in written}
    for item in load("company.jsonl"):
        if not item.get("unanswerable"):
            assert texts[item["doc"]].has_phrase(item["anchor"]), item["id"]
    pdf = extract_plain(tmp_path / "incident-runbook.pdf")
    assert "Page 1 of" in pdf and "Lindqvist & Hale - AI spine" in pdf


def test_seed_like_text_becomes_a_web_page_pdf_and_word_file_with_the_same_words(
    tmp_path: Path,
) -> None:
    raw = (
        "Chapter 3: Scaling\n"
        "The spine reuses each capa-\nbility across units and keeps a ledger of costs.\n\n"
        "Lessons Learned\n\n"
        "Teams that share a platform save about 40 % of their build time.\n"
    ) * 6
    blocks = text_blocks(raw)
    assert ("h", "Lessons Learned") in blocks
    assert any("capability across units" in text for _, text in blocks)
    write_html(tmp_path / "s.html", "Scaling", blocks)
    write_pdf(tmp_path / "s.pdf", "Scaling", blocks, running_header="Library - Scaling")
    write_docx(tmp_path / "s.docx", "Scaling", blocks)
    for name in ("s.html", "s.pdf", "s.docx"):
        text = Text(extract_plain(tmp_path / name))
        assert text.has_phrase("reuses each capability across units"), name
        assert text.has_fact("40 %"), name
    page = (tmp_path / "s.html").read_text()
    assert all(tag in page for tag in ("<nav>", "<footer>", "<aside>", "<script>", "cookie"))


def test_a_markdown_table_is_rendered_as_a_real_table_in_every_format(tmp_path: Path) -> None:
    from bench.eval_formats import markdown_blocks
    from knowledge.documents import load_document

    title, blocks = markdown_blocks(
        "# Tiers\n\n## Levels\n\n| Tier | Who signs |\n| --- | --- |\n"
        "| Gold | the chief risk officer |\n| Silver | a unit director |\n"
    )
    assert ("tr", "Gold\tthe chief risk officer") in blocks
    assert not any("---" in text for _, text in blocks)
    write_html(tmp_path / "t.html", title, blocks)
    write_docx(tmp_path / "t.docx", title, blocks)
    write_pdf(tmp_path / "t.pdf", title, blocks, running_header="Tiers")
    assert "<th>Tier</th>" in (tmp_path / "t.html").read_text()
    for name in ("t.html", "t.docx"):
        rows = [b.text for b in load_document(tmp_path / name).blocks]
        gold = "Tier: Gold; Who signs: the chief risk officer"
        assert any(row.startswith(gold) for row in rows), name
    pdf = Text(extract_plain(tmp_path / "t.pdf"))
    assert pdf.has_phrase("chief risk officer") and "|" not in extract_plain(tmp_path / "t.pdf")


def test_a_list_item_wrapped_onto_an_indented_line_stays_one_item() -> None:
    from bench.eval_formats import markdown_blocks

    _, blocks = markdown_blocks(
        "# Rules\n\n- Managers see team averages only, and only\n  for teams of five or more.\n"
        "- No ranking.\n\nA paragraph after the list.\n"
    )
    assert blocks == [
        ("li", "Managers see team averages only, and only for teams of five or more."),
        ("li", "No ranking."),
        ("p", "A paragraph after the list."),
    ]


def test_a_word_form_hides_its_text_from_python_docx_and_the_loader_reads_it_back(
    tmp_path: Path,
) -> None:
    # company-form: the lead in a text box, each section's text in a content control,
    # a table under a merged caption row; python-docx's own paragraphs see none of it
    import docx

    from bench.eval_formats import write_form_docx
    from knowledge.documents import load_document

    blocks = [
        ("p", "Units pay for what they use."),
        ("h1", "Rates"),
        ("p", "Tokens are billed at cost."),
        ("p", "Tier: Gold; Who signs: the chief risk officer"),
        ("p", "Tier: Silver; Who signs: a unit director"),
        ("h2", "Hosting"),
        ("p", "Hosting is billed monthly."),
    ]
    path = tmp_path / "form.docx"
    write_form_docx(path, "Chargeback", blocks)
    own = " ".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "billed at cost" not in own and "pay for what" not in own
    loaded = load_document(path)
    assert loaded.title == "Chargeback"
    read = [(b.section, b.text) for b in loaded.blocks]
    assert ("", "Units pay for what they use.") in read
    assert ("Rates", "Tokens are billed at cost.") in read
    assert ("Rates", "Tier: Gold; Who signs: the chief risk officer.") in read
    assert ("Rates > Hosting", "Hosting is billed monthly.") in read
    assert sum(text == "Units pay for what they use." for _, text in read) == 1
    plain = Text(extract_plain(path))  # the baselines read it too
    assert plain.has_phrase("billed at cost") and plain.has_phrase("pay for what they use")
    assert plain.has_phrase("a unit director")


def test_a_numbered_heading_typed_right_after_a_paragraph_is_its_own_heading() -> None:
    raw = (
        "The spine reuses each capability\nacross units and keeps a ledger.\n"
        "3. Data and methods\n\n"
        "We study the ledgers of twelve units\nover two years of reporting\n"
        "3.1. Sampling the units\n\n"
        "Units were drawn at random\nfrom the register. In\n"
        "2022. The register listed forty units\n\n"
    ) * 4
    blocks = text_blocks(raw)
    assert ("h", "3. Data and methods") in blocks
    assert ("h", "3.1. Sampling the units") in blocks  # a sub-number is never a sentence
    assert not any(text.startswith("2022.") for kind, text in blocks if kind == "h")


def test_a_passage_is_a_hit_whatever_the_case_wrapping_or_hyphenation() -> None:
    question = Question(
        "x", "?", 1, False, [("study.txt", "organizations were interviewed")], ["22"]
    )
    assert is_hit(
        question, "/tmp/study.pdf", "22 Organ-\nizations  WERE interviewed.", by_stem=True
    )
    assert not is_hit(question, "/tmp/other.pdf", "organizations were interviewed", by_stem=True)
    assert not is_hit(question, "/tmp/study.pdf", "22 organizations were asked", by_stem=True)


def test_key_facts_match_whole_words_and_accept_alternatives() -> None:
    text = Text("It cut handling time by 15% within 150 days, for 2-week sprints.")
    assert text.has_fact("15%") and text.has_fact("15 percent")
    assert not text.has_fact("50")
    assert text.has_fact(["two-week", "2-week"])
    assert locate("saved about\n700 hours", "about 700 hours") is not None


def test_baseline_chunks_are_about_a_thousand_characters_and_overlap() -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = chunk_plain(text)
    assert all(len(c) <= 1000 for c in chunks)
    assert all(len(c) > 700 for c in chunks[:-1])
    assert chunks[0].split()[-1] in chunks[1]
    assert chunks[-1].endswith("word1999")


def test_seed_sets_are_skipped_with_a_note_when_no_seed_folder_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEBOT_SEEDS_DIR", str(tmp_path / "absent"))
    sets, notes = eval_sets.prepare(["seeds-raw", "seeds-pdf", "company"], tmp_path)
    assert [s.name for s in sets] == ["company"]
    assert len(notes) == 2 and all("skipped" in note for note in notes)


@pytest.mark.slow
def test_the_bench_scores_the_engine_and_both_baselines_on_the_company_set() -> None:
    report = eval_sets.run(["company"])
    (item,) = report["sets"]
    systems = {s["system"]: s for s in item["systems"]}
    assert {"engine", "bm25", "dense"} <= set(systems)
    assert item["held_out"] is True and item["held_out_fold"]["answerable"] > 0
    for figures in systems.values():
        assert figures["answerable"] >= 30 and figures["unanswerable"] >= 8
        assert 0.0 <= figures["hit@1"] <= figures["hit@5"] <= 1.0
    # baselines never abstain: every unanswerable question gets an answer from them
    assert systems["bm25"]["false_answers"] == systems["bm25"]["unanswerable"]
    assert systems["dense"]["false_abstentions"] == 0
