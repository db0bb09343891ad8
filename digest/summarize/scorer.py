"""The learned sentence scorer behind ``newsrank``: features in, a probability out.

This module owns ``FEATURES`` (the names, in column order), ``feature_matrix`` (signals of
each sentence into that matrix), ``Weights`` (a fitted logistic model) with
``shipped_weights`` (the package's ``weights.json``), and ``score``. The weights are fitted
by ``bench/train_scorer.py`` with oracle labels: the sentences that together best match a
reference summary. Only numpy is needed here; the fitting needs scikit-learn.

Pure: no I/O apart from reading the packaged weights once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy

__all__ = ["FEATURES", "FLAGS", "Weights", "feature_matrix", "score", "shipped_weights"]

FLAGS = ("question", "quote", "number", "said")
"""The yes-or-no signals of a sentence the scorer weighs, in the lead only."""
FEATURES: tuple[str, ...] = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "prior",  # 1 / (1 + position)
    "centrality",
    "title",  # cosine to the headline
    "has_title",
    "lede",  # cosine to the first sentence
    "log_words",
    "short",
    "long",
    # The opening three sentences again, feature by feature: whether the lead is soft
    # (a question, a quote, a short teaser, no number or attribution) depends on what is
    # in it, which a model additive in position alone cannot see.
    "early_log_words",
    "early_short",
    "early_centrality",
    "early_title",
    *(f"early_{flag}" for flag in FLAGS),
)
"""The scorer's inputs, in the column order of ``feature_matrix``."""

_EARLY = 3  # sentences: the lead
_SHORT_WORDS = 12
_LONG_WORDS = 80


@dataclass(frozen=True, slots=True)
class Weights:
    """A fitted logistic model over standardised features."""

    mean: numpy.ndarray[Any, Any]
    scale: numpy.ndarray[Any, Any]
    coef: numpy.ndarray[Any, Any]
    intercept: float

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Weights:
        """Read weights saved by ``to_mapping``; raises ValueError when they do not fit."""
        names = tuple(data.get("features", ()))
        if names != FEATURES:
            raise ValueError("The scorer weights were fitted on other features; refit them.")
        arrays = [numpy.asarray(data[key], dtype=float) for key in ("mean", "scale", "coef")]
        if any(array.shape != (len(FEATURES),) for array in arrays):
            raise ValueError("The scorer weights have the wrong number of values.")
        mean, scale, coef = arrays
        return cls(mean, numpy.where(scale > 0, scale, 1.0), coef, float(data["intercept"]))

    def to_mapping(self) -> dict[str, Any]:
        """The weights as JSON-ready values, with the feature names they belong to."""
        return {
            "features": list(FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
        }


@cache
def shipped_weights() -> Weights:
    """The weights packaged with digest (``digest/summarize/weights.json``)."""
    text = resources.files("digest.summarize").joinpath("weights.json").read_text("utf-8")
    return Weights.from_mapping(json.loads(text))


def feature_matrix(
    flags: Sequence[Mapping[str, bool]],
    word_counts: Sequence[int],
    centrality: numpy.ndarray[Any, Any],
    title_similarity: numpy.ndarray[Any, Any],
    similarity: numpy.ndarray[Any, Any],
    *,
    has_title: bool,
) -> numpy.ndarray[Any, Any]:
    """One row of ``FEATURES`` per sentence, in article order."""
    count = len(flags)
    matrix = numpy.zeros((count, len(FEATURES)))
    if count == 0:
        return matrix
    column = {name: index for index, name in enumerate(FEATURES)}
    position = numpy.arange(count, dtype=float)
    for index, name in enumerate(("first", "second", "third", "fourth", "fifth")):
        if index < count:
            matrix[index, column[name]] = 1.0
    matrix[:, column["prior"]] = 1.0 / (1.0 + position)
    matrix[:, column["centrality"]] = centrality
    matrix[:, column["title"]] = title_similarity
    matrix[:, column["has_title"]] = float(has_title)
    matrix[:, column["lede"]] = similarity[0]
    matrix[0, column["lede"]] = 1.0  # the opening sentence is itself: else its copies outrank it
    words = numpy.asarray(word_counts, dtype=float)
    matrix[:, column["log_words"]] = numpy.log1p(words)
    matrix[:, column["short"]] = words < _SHORT_WORDS
    matrix[:, column["long"]] = words > _LONG_WORDS
    early = position < _EARLY
    for name in ("log_words", "short", "centrality", "title"):
        matrix[:, column[f"early_{name}"]] = matrix[:, column[name]] * early
    for name in FLAGS:
        matrix[:, column[f"early_{name}"]] = [sentence[name] for sentence in flags]
        matrix[~early, column[f"early_{name}"]] = 0.0
    return matrix


def score(features: numpy.ndarray[Any, Any], weights: Weights) -> numpy.ndarray[Any, Any]:
    """The probability that each sentence belongs in the summary, from its features."""
    logits = ((features - weights.mean) / weights.scale) @ weights.coef + weights.intercept
    probability: numpy.ndarray[Any, Any] = 1.0 / (1.0 + numpy.exp(-numpy.clip(logits, -30, 30)))
    return probability
