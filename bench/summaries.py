"""Score the summarisation methods on a file of articles with reference summaries.

Usage::

    python bench/summaries.py ../shared/data/summaries-dev.jsonl \
        ../shared/data/summaries-cnndm-dev.jsonl [--sentences 3] [--folds 5] [--only NAME ...]

Each FILE holds one JSON object per line with ``source``, ``title``, ``text`` and ``reference``
(a string, or a list of strings when there are several). For each source in the file and
overall, every method is scored with ROUGE-1, ROUGE-2 and ROUGE-L F1 (the ``rouge-score``
package, Porter stemming on, the best reference per article and metric), x100, beside the
median wall-clock time per article of one ``summarize_text`` call (tokenising, language
detection and ranking).

Beside each group's table, the paired bootstrap 95% interval (2,000 resamples of the
group's articles, fixed seed) of the default's R-1, R-2 and R-L minus LEAD-3's and minus
LexRank's: a gain is claimed only where the whole interval is above zero.

The default's sentence scorer has learned weights (``bench/train_scorer.py``). Its figures
here are out of fold: the articles of all files, pooled over the groups, are dealt into
``--folds`` folds by a seeded shuffle; each fold is summarised with weights fitted on the
other folds only (scikit-learn needed, the ``train`` extra). ``--folds 0`` scores the
shipped weights instead, which were fitted on these very files: in-sample figures.

Methods: ``lead-3`` (the first sentences), every sumy summarizer over the project's
tokenizer, the project's default, and sumy's LexRank over a pysbd sentence splitter as
the speed reference (the set-up the project started from). Nothing is timed as a test;
``rouge-score`` and ``pysbd`` are needed here only: ``pip install rouge-score pysbd``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

Summarizer = Callable[[str, str, int], list[str]]
"""A summarizer takes (text, title, sentence count) and returns the chosen sentences."""

_METRICS = ("rouge1", "rouge2", "rougeL")
_SPEED_REFERENCE = "lexrank (pysbd)"
_BASELINES = ("lead-3", "lexrank")
_RESAMPLES = 2000
_SEED = 20240611


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    source: str
    title: str
    text: str
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Result:
    """One method's scores and time on one article."""

    source: str
    scores: tuple[float, float, float]
    seconds: float


def load_articles(path: Path) -> list[Article]:
    """Read the JSON-lines file; a single reference string becomes a one-item tuple."""
    articles = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        reference = row["reference"]
        references = (reference,) if isinstance(reference, str) else tuple(reference)
        identifier = str(row.get("id", f"{path.name}:{number}"))
        source = row.get("source", "?")
        articles.append(Article(identifier, source, row.get("title", ""), row["text"], references))
    return articles


def deal_folds(articles: list[Article], folds: int, seed: int = _SEED) -> list[int]:
    """Each article's fold: a seeded shuffle of all articles, pooled over groups, dealt out."""
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    fold = [0] * len(articles)
    for rank, index in enumerate(order):
        fold[index] = rank % folds
    return fold


def paired_interval(
    ours: list[float], theirs: list[float], resamples: int = _RESAMPLES, seed: int = _SEED
) -> tuple[float, float, float]:
    """Mean difference ours - theirs and its paired bootstrap 95% percentile interval."""
    differences = [a - b for a, b in zip(ours, theirs, strict=True)]
    count = len(differences)
    rng = random.Random(seed)
    means = sorted(
        sum(differences[rng.randrange(count)] for _ in range(count)) / count
        for _ in range(resamples)
    )
    low = means[int(0.025 * resamples)]
    high = means[min(int(0.975 * resamples), resamples - 1)]
    return sum(differences) / count, low, high


def _require(module: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.exit(
            f"This benchmark needs the {package!r} package, which is not installed. "
            "Install the benchmark tools with: pip install -e '.[bench,train]'"
        )


def project_methods() -> dict[str, Summarizer]:
    """The project's methods by display name: lead-3, the default, then sumy's."""
    from digest.summarize.methods import DEFAULT_METHOD, METHODS, summarize_text

    def method(name: str) -> Summarizer:
        def run(text: str, title: str, count: int) -> list[str]:
            return summarize_text(text, count, method=name, title=title)

        return run

    names = {"lead-3": "lead", default_label(): DEFAULT_METHOD}
    names.update({name: name for name in METHODS if name not in {"lead", DEFAULT_METHOD}})
    return {label: method(name) for label, name in names.items()}


def default_label() -> str:
    from digest.summarize.methods import DEFAULT_METHOD

    return f"{DEFAULT_METHOD} (default)"


def pysbd_lexrank(pysbd: ModuleType) -> Summarizer:
    """sumy's LexRank with pysbd splitting sentences: the speed reference."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    from digest.summarize.tokenizer import Tokenizer

    segmenter = pysbd.Segmenter(language="en", clean=False)
    words = Tokenizer("english")

    class PysbdTokenizer:
        language = "english"

        def to_sentences(self, paragraph: str) -> tuple[str, ...]:
            found = (s.strip() for s in segmenter.segment(paragraph))
            return tuple(s for s in found if s)

        def to_words(self, sentence: str) -> tuple[str, ...]:
            return words.to_words(sentence)

    tokenizer = PysbdTokenizer()
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run(text: str, title: str, count: int) -> list[str]:
        paragraphs = [
            Paragraph([Sentence(s, tokenizer) for s in tokenizer.to_sentences(p)])
            for p in text.split("\n\n")
        ]
        document = ObjectDocumentModel(paragraphs)
        return [str(s) for s in summarizer(document, count)]

    return run


def score_methods(
    methods: dict[str, Summarizer], articles: list[Article], count: int, scorer: Any
) -> dict[str, list[Result]]:
    """Run every method over every article, timing each call, and score the output.

    The methods take turns on each article, so a busy machine slows them alike.
    """
    results: dict[str, list[Result]] = {name: [] for name in methods}
    for run in methods.values():
        run(articles[0].text, articles[0].title, count)  # warm caches: imports, stemmers
    for article in articles:
        for name, run in methods.items():
            start = time.perf_counter()
            chosen = run(article.text, article.title, count)
            seconds = time.perf_counter() - start
            results[name].append(Result(article.source, _best(scorer, article, chosen), seconds))
    return results


def _best(scorer: Any, article: Article, chosen: list[str]) -> tuple[float, float, float]:
    """ROUGE F1 of a summary against the best reference, metric by metric."""
    prediction = "\n".join(chosen)
    best = [0.0, 0.0, 0.0]
    for reference in article.references:
        scores = scorer.score(reference, prediction)
        best = [max(b, scores[m].fmeasure) for b, m in zip(best, _METRICS, strict=True)]
    return best[0], best[1], best[2]


def print_table(title: str, rows: dict[str, list[Result]]) -> None:
    """One block of the report: a row per method with R-1, R-2, R-L and median ms."""
    print(f"\n{title}")
    print(f"| {'method':<22} | {'R-1':>5} | {'R-2':>5} | {'R-L':>5} | {'median ms':>9} |")
    print(f"|{'-' * 24}|{'-' * 7}|{'-' * 7}|{'-' * 7}|{'-' * 11}|")
    for name, results in rows.items():
        means = [100 * statistics.mean(r.scores[i] for r in results) for i in range(3)]
        median_ms = 1000 * statistics.median(r.seconds for r in results)
        cells = " | ".join(f"{value:5.1f}" for value in means)
        print(f"| {name:<22} | {cells} | {median_ms:9.2f} |")


def print_intervals(rows: dict[str, list[Result]]) -> None:
    """The default minus each baseline, per metric: mean and paired bootstrap 95% interval."""
    default = default_label()
    if default not in rows:
        return
    for baseline in _BASELINES:
        if baseline not in rows:
            continue
        cells = []
        for index, metric in enumerate(("R-1", "R-2", "R-L")):
            ours = [100 * r.scores[index] for r in rows[default]]
            theirs = [100 * r.scores[index] for r in rows[baseline]]
            mean, low, high = paired_interval(ours, theirs)
            verdict = "above" if low > 0 else "below" if high < 0 else "tie"
            cells.append(f"{metric} {mean:+5.2f} [{low:+5.2f}, {high:+5.2f}] {verdict}")
        print(f"  default - {baseline:<8}: " + "; ".join(cells))


def out_of_fold_default(articles: list[Article], folds: int, seed: int = _SEED) -> Summarizer:
    """The default with, for each article, weights fitted on the other folds only."""
    import train_scorer

    from digest.summarize.methods import summarize_text

    fold = deal_folds(articles, folds, seed)
    examples = train_scorer.examples(articles)
    fitted = [
        train_scorer.fit([e for e, f in zip(examples, fold, strict=True) if f != k])
        for k in range(folds)
    ]
    weights_of = {a.text: fitted[f] for a, f in zip(articles, fold, strict=True)}

    def run(text: str, title: str, count: int) -> list[str]:
        return summarize_text(text, count, title=title, weights=weights_of.get(text))

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "files", type=Path, nargs="+", metavar="FILE.jsonl", help="articles and references"
    )
    parser.add_argument("--sentences", type=int, default=3, help="sentences per summary")
    parser.add_argument(
        "--folds", type=int, default=5, help="cross-validation folds for the default (0: none)"
    )
    parser.add_argument(
        "--seed", type=int, default=_SEED, help="seed of the fold shuffle (intervals: fixed)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="score only these methods (display names)"
    )
    args = parser.parse_args(argv)
    if args.folds == 1 or args.folds < 0:
        sys.exit("--folds must be 0 (the shipped weights) or at least 2.")
    rouge_scorer = _require("rouge_score.rouge_scorer", "rouge-score")
    pysbd = _require("pysbd", "pysbd")
    articles = [article for path in args.files for article in load_articles(path)]
    if not articles:
        sys.exit(f"No articles in {', '.join(map(str, args.files))}.")

    methods = project_methods()
    methods[_SPEED_REFERENCE] = pysbd_lexrank(pysbd)
    if args.only:
        methods = {name: run for name, run in methods.items() if name in args.only}
    if args.folds and default_label() in methods:
        _require("sklearn", "scikit-learn")
        methods[default_label()] = out_of_fold_default(articles, args.folds, args.seed)
    scorer = rouge_scorer.RougeScorer(list(_METRICS), use_stemmer=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LSA and numpy warn on degenerate inputs
        results = score_methods(methods, articles, args.sentences, scorer)

    names = ", ".join(map(str, args.files))
    print(f"{len(articles)} articles in {names}, {args.sentences} sentences per summary")
    print("ROUGE F1 x100 (rouge-score, stemming, best reference); median ms per article")
    if args.folds:
        print(f"default: out of fold, {args.folds}-fold cross-validation over all articles pooled")
    else:
        print("default: the shipped weights (fitted on these files: in-sample)")
    sources = sorted({article.source for article in articles})
    for source in sources:
        count = sum(article.source == source for article in articles)
        rows = {name: [r for r in rs if r.source == source] for name, rs in results.items()}
        print_table(f"source: {source} ({count} articles)", rows)
        print_intervals(rows)
    if len(sources) > 1:
        print_table(f"all sources ({len(articles)} articles)", results)
        print_intervals(results)
    default = default_label()
    if default in results and _SPEED_REFERENCE in results:
        ratio = statistics.median(r.seconds for r in results[_SPEED_REFERENCE]) / max(
            statistics.median(r.seconds for r in results[default]), 1e-9
        )
        print(f"\n{default}: median time {ratio:.1f}x lower than {_SPEED_REFERENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
