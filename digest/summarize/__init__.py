"""Summarisation: an `Article` in, its key sentences out, verbatim and without duplicates.

Pure: no I/O. `methods` is the front: the methods a user may pick (sumy's summarizers,
``lead`` and the default, ``newsrank``) and the sentence budget; `newsrank` is the project's
own ranking; `tokenizer` splits sentences and words for sumy with no downloaded data.
"""

from digest.summarize.methods import DEFAULT_METHOD, METHODS, summarize, summarize_text
from digest.summarize.tokenizer import Tokenizer

__all__ = ["DEFAULT_METHOD", "METHODS", "Tokenizer", "summarize", "summarize_text"]
