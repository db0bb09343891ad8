"""Score main-text extractors on a saved-page benchmark folder.

Usage::

    python bench/extraction.py DIR [--only NAME ...] [--repeat N]
    python bench/extraction.py DIR --rules
    python bench/extraction.py DIR --fit

where DIR is e.g. ``../shared/data/extraction-dev``.

DIR holds ``ground-truth.json`` (``{id: {"articleBody": str, "url": str}}``) and
``html/<id>.html.gz``, as in scrapinghub's article-extraction-benchmark. Each extractor
is scored with that benchmark's metric: texts are split into ``\\w+`` tokens and compared
as multisets of 4-token shingles; precision is averaged over pages with non-empty output,
recall over all pages, and F1 is the harmonic mean of the two averages. The median
wall-clock time per page is printed beside it, and a last line says whether the project
meets its target: an F1 at least that of the best alternative, in no more median time.
Under the table, for the project against each alternative, the paired bootstrap 95%
interval of the F1 difference (pages resampled with replacement, the same pages for
both): a difference whose interval holds zero is not a difference.
``--rules`` instead scores the project with each clean-up pass and furniture rule
switched off in turn, counts what each removes that the ground truth keeps, and gives
the paired bootstrap interval of the F1 each one adds. ``--fit`` fits each parameter of
extraction by 5-fold cross-validation over the pages and compares it with its default.

The project's extractor (``digest.extract.extract_article``) is always scored. The
alternatives are optional: one whose package is not installed is skipped with a note.
Nothing is fetched from the network; every extractor gets the saved HTML only.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import logging
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

Extractor = Callable[[str, str], str]
"""An extractor takes (html, url) and returns the article's plain text."""

_TOKEN = re.compile(r"\w+")
_SHINGLE = 4
PROJECT = "digest (project)"
BOOTSTRAP_SAMPLES = 2000
Match = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    f1: float
    precision: float
    recall: float
    median_ms: float
    empty: int
    failed: int
    matches: tuple[Match, ...] = ()


def load_pages(folder: Path) -> list[Page]:
    """Read the ground truth and the gzip-compressed pages of a benchmark folder."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append(
            Page(page_id, entry.get("url", ""), raw.decode("utf-8"), entry.get("articleBody", ""))
        )
    return pages


_FINAL_STOP = re.compile(r"[.!?\u3002](\s*</(?:p|li|td|div)>)", re.IGNORECASE)


def without_final_stops(page: Page) -> Page:
    """The page with the stop that ends each paragraph, list item and table cell removed:
    how table layouts, lists and some languages look to an extractor (the truth is kept)."""
    return Page(page.id, page.url, _FINAL_STOP.sub(r"\1", page.html), page.truth)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """The multiset of 4-token shingles (a shorter text is one shorter shingle)."""
    tokens = _TOKEN.findall(text)
    count = max(1, len(tokens) - _SHINGLE + 1)
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(count) if tokens[i:])


def match(truth: str, predicted: str) -> tuple[float, float, float]:
    """Shingle TP, FP and FN for one page, normalised to sum to 1 (when any exist)."""
    expected, got = shingles(truth), shingles(predicted)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _ratio(hit: float, miss: float, other_miss: float) -> float:
    if miss == other_miss == 0:
        return 1.0
    if hit == miss == 0:
        return 0.0
    return hit / (hit + miss)


def summarise(matches: list[Match]) -> tuple[float, float, float]:
    """(F1, precision, recall) over pages, as the benchmark's evaluate.py computes them."""
    precisions = [_ratio(tp, fp, fn) for tp, fp, fn in matches if tp + fp > 0]
    recalls = [_ratio(tp, fn, fp) for tp, fp, fn in matches if tp + fn > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def paired_interval(
    ours: list[Match], theirs: list[Match], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float, float]:
    """The F1 difference (ours minus theirs) and its paired bootstrap 95% interval.

    Both lists hold the same pages in the same order; each resample draws pages with
    replacement and scores both extractors on the same draw, so that what the pages have
    in common (an easy page, a hard one) cancels out.
    """
    if len(ours) != len(theirs) or not ours:
        raise ValueError("paired_interval needs two equally long, non-empty lists of pages")
    pick = random.Random(seed)
    count = len(ours)
    differences = []
    for _ in range(samples):
        draw = [pick.randrange(count) for _ in range(count)]
        a = summarise([ours[i] for i in draw])[0]
        b = summarise([theirs[i] for i in draw])[0]
        differences.append(a - b)
    differences.sort()
    low = differences[int(0.025 * samples)]
    high = differences[min(samples - 1, int(0.975 * samples))]
    return summarise(ours)[0] - summarise(theirs)[0], low, high


def _run(extractor: Extractor, page: Page) -> tuple[str, bool]:
    """The extractor's text for a page, and whether it raised (scored as no text)."""
    text, error = _attempt(extractor, page)
    return text, error is not None


def _attempt(extractor: Extractor, page: Page) -> tuple[str, str | None]:
    """The extractor's text for a page, and the message of what it raised, if it did."""
    try:
        return extractor(page.html, page.url) or "", None
    except Exception as exc:  # every failure of a third-party extractor is scored as no text
        return "", f"{type(exc).__name__}: {exc}"


def explain_empty(pages: list[Page]) -> None:
    """For each page on which the project gives no text: why, and how long its truth is."""
    project = _project()
    for page in pages:
        text, error = _attempt(project, page)
        if not _TOKEN.search(text):
            words = len(page.truth.split())
            print(f"empty: {page.id[:12]} (truth {words} words): {error or 'no text'}")


def score_all(extractors: dict[str, Extractor], pages: list[Page], repeat: int = 1) -> list[Score]:
    """Run every extractor over every page and score it.

    The pages are taken one at a time and every extractor runs on it in turn, so a change
    in the machine's load (other processes) hits all extractors alike rather than the
    ones that happen to run while it lasts. Each extractor first runs once, untimed, on
    the first page (imports, caches). With ``repeat`` > 1 a page's time is the fastest of
    that many runs, which filters out the same noise further.
    """
    for extractor in extractors.values():
        _run(extractor, pages[0])
    matches: dict[str, list[tuple[float, float, float]]] = {name: [] for name in extractors}
    times: dict[str, list[float]] = {name: [] for name in extractors}
    empty = dict.fromkeys(extractors, 0)
    failed = dict.fromkeys(extractors, 0)
    for page in pages:
        for name, extractor in extractors.items():
            fastest = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                text, raised = _run(extractor, page)
                fastest = min(fastest, (time.perf_counter() - start) * 1000)
            times[name].append(fastest)
            failed[name] += raised
            empty[name] += not _TOKEN.search(text)
            matches[name].append(match(page.truth, text))
    scores = []
    for name in extractors:
        f1, precision, recall = summarise(matches[name])
        median = statistics.median(times[name])
        scores.append(
            Score(
                name,
                f1,
                precision,
                recall,
                median,
                empty[name],
                failed[name],
                tuple(matches[name]),
            )
        )
    return scores


# --- extractors ---------------------------------------------------------------------


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The checkout whose ``digest`` is scored; ``--root`` scores another (an earlier commit)."""


def _project() -> Extractor:
    root = str(PROJECT_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    from digest.extract.page import extract_article

    return lambda html, url: extract_article(html, url).text


def _trafilatura(trafilatura: ModuleType, **options: Any) -> Extractor:
    return lambda html, url: trafilatura.extract(html, url=url, **options) or ""


def _paragraphs_of(fragment: str) -> str:
    """Plain text of an HTML fragment, one block element per paragraph."""
    lxml_html: Any = importlib.import_module("lxml.html")
    tree = lxml_html.fromstring(fragment)
    blocks = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "td")
    texts = [" ".join(node.text_content().split()) for node in tree.iter(*blocks)]
    texts = [text for text in texts if text]
    return "\n\n".join(texts) if texts else " ".join(tree.text_content().split())


def _readability(module: ModuleType) -> Extractor:
    return lambda html, url: _paragraphs_of(module.Document(html).summary(html_partial=True))


def _justext(module: ModuleType) -> Extractor:
    stoplist = module.get_stoplist("English")

    def extract(html: str, url: str) -> str:
        paragraphs = module.justext(html.encode("utf-8"), stoplist)
        return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return extract


def _newspaper(module: ModuleType) -> Extractor:
    def extract(html: str, url: str) -> str:
        article = module.Article(url or "http://localhost/", fetch_images=False)
        article.download(input_html=html)  # input_html: parse the string, fetch nothing
        article.parse()
        return str(article.text)

    return extract


def _goose(module: ModuleType) -> Extractor:
    def extract(html: str, url: str) -> str:
        goose = module.Goose({"enable_image_fetching": False})
        try:
            return str(goose.extract(raw_html=html, url=url).cleaned_text)
        finally:
            goose.close()

    return extract


def _resiliparse(module: ModuleType) -> Extractor:
    options = {"main_content": True, "alt_texts": False, "list_bullets": False}
    return lambda html, url: module.extract_plain_text(html, comments=False, **options)


def _breadability(module: ModuleType) -> Extractor:
    return lambda html, url: _paragraphs_of(module.Article(html, url=url).readable)


def _html2text(module: ModuleType) -> Extractor:
    def extract(html: str, url: str) -> str:
        converter = module.HTML2Text()
        converter.ignore_links = converter.ignore_images = converter.ignore_emphasis = True
        converter.body_width = 0
        return str(converter.handle(html))

    return extract


def extractors() -> tuple[dict[str, Extractor], list[str]]:
    """Every extractor that can run here, by name, and a note for each one skipped."""
    found: dict[str, Extractor] = {PROJECT: _project()}
    notes: list[str] = []
    trafilatura = _optional("trafilatura")
    if trafilatura is None:
        notes.append("trafilatura: not installed (pip install trafilatura)")
    else:
        bare: dict[str, Any] = {"include_comments": False}
        settings: dict[str, dict[str, Any]] = {
            "default": {},
            "no comments": bare,
            "precision": {**bare, "favor_precision": True},
            "precision, no tables": {**bare, "favor_precision": True, "include_tables": False},
            "recall": {**bare, "favor_recall": True},
            "fast": {**bare, "fast": True},
            "precision, fast": {**bare, "favor_precision": True, "fast": True},
        }
        for label, options in settings.items():
            found[f"trafilatura {label}"] = _trafilatura(trafilatura, **options)
    alternatives: list[tuple[str, str, str, Callable[[ModuleType], Extractor]]] = [
        ("readability-lxml", "readability", "readability-lxml", _readability),
        ("justext (English)", "justext", "justext", _justext),
        ("newspaper4k", "newspaper", "newspaper4k", _newspaper),
        ("goose3", "goose3", "goose3", _goose),
        ("resiliparse", "resiliparse.extract.html2text", "resiliparse", _resiliparse),
        ("breadability", "breadability.readable", "breadability", _breadability),
        ("html2text (whole page)", "html2text", "html2text", _html2text),
    ]
    for name, module_name, package, make in alternatives:
        module = _optional(module_name)
        if module is None:
            notes.append(f"{name}: skipped, not installed (pip install {package})")
        else:
            found[name] = make(module)
    return found, notes


def print_scores(scores: list[Score]) -> None:
    """The table, then whether the project meets its target against the best alternative."""
    print(f"{'extractor':<32} {'F1':>6} {'P':>6} {'R':>6} {'median ms':>10} {'empty':>6}")
    for result in scores:
        failed = f"  ({result.failed} raised)" if result.failed else ""
        print(
            f"{result.name:<32} {result.f1:6.3f} {result.precision:6.3f} {result.recall:6.3f} "
            f"{result.median_ms:10.1f} {result.empty:6d}{failed}"
        )
    project = next((result for result in scores if result.name == PROJECT), None)
    others = [result for result in scores if result.name != PROJECT]
    if project and others:
        best = max(others, key=lambda result: (result.f1, -result.median_ms))
        met = project.f1 >= best.f1 and project.median_ms <= best.median_ms
        print(
            f"target: F1 >= {best.f1:.4f} and median <= {best.median_ms:.1f} ms ({best.name}); "
            f"project F1 {project.f1:.4f}, median {project.median_ms:.1f} ms: "
            f"{'met' if met else 'NOT met'}"
        )
    if project and others and project.matches:
        print(f"F1 difference, project minus each, paired bootstrap 95% ({BOOTSTRAP_SAMPLES}):")
        for other in others:
            difference, low, high = paired_interval(list(project.matches), list(other.matches))
            verdict = "above" if low > 0 else "below" if high < 0 else "straddles zero"
            print(f"  vs {other.name:<34} {difference:+.4f}  [{low:+.4f}, {high:+.4f}]  {verdict}")


def rule_table(pages: list[Page]) -> None:
    """Score the project with each clean-up pass and furniture rule switched off in turn.

    For each: F1 without it and with it, and the paragraphs it removes on these pages, of
    which how many the ground truth has (compared as case-folded words): a rule that
    removes ground truth is a rule that may remove article text. "gain" is the F1 the
    rule adds (with it minus without it). A rule is switched off by taking it out of its
    table (`digest.extract.cleanup.PASSES`, `digest.extract.furniture.RULES`) and put back after.
    """
    project = _project()  # also puts the repository on sys.path
    from digest.extract import cleanup, furniture

    def texts() -> list[str]:
        return [_run(project, page)[0] for page in pages]

    baseline = texts()
    on_matches = [match(page.truth, text) for page, text in zip(pages, baseline, strict=True)]
    full = summarise(on_matches)
    print(f"all rules on: F1 {full[0]:.4f}  P {full[1]:.4f}  R {full[2]:.4f}")
    header = ("F1 off", "P off", "R off", "gain", "removes", "in truth")
    print(f"{'rule':<20}" + "".join(f"{column:>9}" for column in header) + "  gain 95% interval")
    tables: list[dict[str, Any]] = [cleanup.PASSES, furniture.RULES]
    for table in tables:
        for name in list(table):
            saved = dict(table)
            if table is cleanup.PASSES:
                table[name] = lambda paragraphs: paragraphs
            else:
                del table[name]
            try:
                without = texts()
            finally:
                table.clear()
                table.update(saved)
            removed = in_truth = 0
            for page, off, on in zip(pages, without, baseline, strict=True):
                gone = Counter(off.split("\n\n")) - Counter(on.split("\n\n"))
                removed += gone.total()
                in_truth += sum(n for p, n in gone.items() if _in_truth(p, page.truth))
            off_matches = [
                match(page.truth, text) for page, text in zip(pages, without, strict=True)
            ]
            f1, precision, recall = summarise(off_matches)
            _, low, high = paired_interval(on_matches, off_matches)
            verdict = "earns its place" if low > 0 else "hurts" if high < 0 else "straddles zero"
            standing = {**cleanup.PASS_STANDING, **furniture.STANDING}.get(name, "")
            if low <= 0 and standing.startswith("policy"):
                verdict += ", kept as policy"
            print(
                f"{name:<20}{f1:9.4f}{precision:9.4f}{recall:9.4f}{full[0] - f1:+9.4f}"
                f"{removed:9d}{in_truth:9d}  [{low:+.4f}, {high:+.4f}] {verdict}",
                flush=True,
            )


# The parameters of extraction that a page's text depends on, with the values tried; the
# first value is the default.
PARAMETERS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "least prose words": ("digest.extract.candidates", "_MIN_PROSE_WORDS", (50, 25, 100, 200)),
    "most link share": ("digest.extract.candidates", "_MAX_LINK_SHARE", (0.5, 0.3, 0.7)),
    "least agreement": ("digest.extract.candidates", "_MIN_AGREEMENT", (0.5, 0.3, 0.7)),
    "lead paragraphs": ("digest.extract.repeats", "LEAD_PARAGRAPHS", (3, 1, 5)),
}
FOLDS = 5


def cross_validate(pages: list[Page]) -> None:
    """Fit each parameter by cross-validation, and say whether fitting it is worth it.

    Pages are dealt into `FOLDS` folds by their sorted ids. For each fold, the value with
    the best F1 on the other folds is chosen (the default on a tie) and scored on the
    fold; the held-out pages of all folds are pooled and compared with the default by the
    paired bootstrap interval. An interval that holds zero means the default stays.
    """
    project = _project()
    for label, (module_name, attribute, values) in PARAMETERS.items():
        module = importlib.import_module(module_name)
        default = getattr(module, attribute)
        by_value: dict[float, list[Match]] = {}
        try:
            for value in values:
                setattr(module, attribute, type(default)(value))
                by_value[value] = [match(page.truth, _run(project, page)[0]) for page in pages]
        finally:
            setattr(module, attribute, default)
        fitted: list[Match | None] = [None] * len(pages)
        chosen = []
        for fold in range(FOLDS):
            train = [i for i in range(len(pages)) if i % FOLDS != fold]
            best = max(values, key=lambda v: summarise([by_value[v][i] for i in train])[0])
            chosen.append(best)
            for i in range(fold, len(pages), FOLDS):
                fitted[i] = by_value[best][i]
        pooled = [found for found in fitted if found is not None]
        difference, low, high = paired_interval(pooled, by_value[values[0]])
        spread = " ".join(f"{v:g}:{summarise(by_value[v])[0]:.4f}" for v in values)
        print(
            f"{label:<18} F1 by value (default first) {spread}; chosen by fold "
            f"{' '.join(f'{v:g}' for v in chosen)}; cross-validated minus default "
            f"{difference:+.4f} [{low:+.4f}, {high:+.4f}]",
            flush=True,
        )


def _in_truth(paragraph: str, truth: str) -> bool:
    """Whether the ground truth has this paragraph: as one of its lines, or (four words or
    more, so that "Also:" is not found in any text) inside one."""
    from digest.extract.cleanup import text_key

    key = text_key(paragraph)
    lines = {text_key(line) for line in truth.splitlines()}
    return key in lines or (len(key.split()) >= 4 and key in text_key(truth))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, metavar="DIR", help="benchmark folder")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="score names containing NAME"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="time a page N times, keep the best"
    )
    parser.add_argument(
        "--rules", action="store_true", help="measure each clean-up rule instead (project only)"
    )
    parser.add_argument(
        "--fit", action="store_true", help="fit each parameter by cross-validation instead"
    )
    parser.add_argument(
        "--root", type=Path, metavar="CHECKOUT", help="score the digest of another checkout"
    )
    parser.add_argument(
        "--no-final-stops",
        action="store_true",
        help="first remove the stop that ends each paragraph, list item and table cell",
    )
    args = parser.parse_args(argv)
    if not (args.folder / "ground-truth.json").is_file():
        parser.error(f"{args.folder} has no ground-truth.json; pass the benchmark folder.")
    # Third-party extractors log and warn freely; the table is what we want to read.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")

    global PROJECT_ROOT  # set once, before anything is imported from it
    PROJECT_ROOT = (args.root or PROJECT_ROOT).resolve()
    pages = load_pages(args.folder)
    print(f"{len(pages)} pages in {args.folder}")
    if args.no_final_stops:
        pages = [without_final_stops(page) for page in pages]
        print("with the stop that ends each paragraph, list item and table cell removed")
    if args.rules:
        rule_table(pages)
        return 0
    if args.fit:
        cross_validate(pages)
        return 0
    found, notes = extractors()
    chosen = {
        name: extractor
        for name, extractor in found.items()
        if not args.only or any(part.lower() in name.lower() for part in args.only)
    }
    scores = score_all(chosen, pages, max(1, args.repeat))
    print_scores(scores)
    if any(score.name == PROJECT and score.empty for score in scores):
        explain_empty(pages)
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
