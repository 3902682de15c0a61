"""Scoring forecasts for notebook 06: pure functions, no widgets, no I/O.

    brier_score(probabilities, outcomes)   the mean squared gap between forecast and outcome
    brier_table(probabilities, outcomes)   the same, one row per forecast, to show every term

A forecast is a probability p in [0, 1] that an event happens; its outcome o is 1 if the event
happened and 0 if it did not. The Brier score (Glenn W. Brier, "Verification of forecasts expressed
in terms of probability", Monthly Weather Review 78(1), 1950) of N forecasts is

    BS = (1/N) * sum_i (p_i - o_i) ** 2

0 is a perfect record; 1 is the worst (certain and always wrong); always saying 0.5 scores 0.25.
Lower is better. Both functions take either two mappings with the same keys (for example claim
ids), or two sequences of the same length, and raise ValueError with a sentence a student can act
on when the input cannot be a forecast record.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["brier_score", "brier_table", "ALWAYS_HALF"]

#: The Brier score of someone who always says 0.5: (0.5 - 0) ** 2 = (0.5 - 1) ** 2 = 0.25.
ALWAYS_HALF = 0.25


def _probability(key, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"the probability for {key!r} must be a number from 0 to 1; got {value!r}")
    p = float(value)
    if not math.isfinite(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"the probability for {key!r} must be from 0 to 1 (write 70% as 0.7); got {value!r}")
    return p


def _outcome(key, value) -> int:
    # True/False and 0/1 (also 0.0/1.0) are accepted; anything else is refused.
    if isinstance(value, numbers.Real) and not (isinstance(value, float) and math.isnan(value)) \
            and float(value) in (0.0, 1.0):
        return int(value)
    raise ValueError(f"the outcome for {key!r} must be 1 (it happened) or 0 (it did not); got {value!r}")


def _pairs(probabilities, outcomes) -> list[tuple[object, float, int]]:
    """(key, p, o) for each forecast, in the order of ``probabilities``."""
    if isinstance(probabilities, Mapping) != isinstance(outcomes, Mapping):
        raise ValueError("give both as dictionaries (keyed alike) or both as lists of the same length")
    if isinstance(probabilities, Mapping):
        missing = [k for k in probabilities if k not in outcomes]
        extra = [k for k in outcomes if k not in probabilities]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no outcome for {', '.join(map(str, missing))}")
            if extra:
                parts.append(f"no probability for {', '.join(map(str, extra))}")
            raise ValueError("the forecasts and outcomes must name the same events: " + "; ".join(parts))
        keys = list(probabilities)
        ps, os_ = [probabilities[k] for k in keys], [outcomes[k] for k in keys]
    else:
        for name, value in (("probabilities", probabilities), ("outcomes", outcomes)):
            if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, pd.Series, np.ndarray)):
                raise ValueError(f"{name} must be a dictionary or a list; got {type(value).__name__}")
        ps, os_ = list(probabilities), list(outcomes)
        if len(ps) != len(os_):
            raise ValueError(f"{len(ps)} probabilities but {len(os_)} outcomes: give one outcome per forecast")
        keys = list(range(len(ps)))
    if not keys:
        raise ValueError("there is nothing to score: give at least one forecast")
    return [(k, _probability(k, p), _outcome(k, o)) for k, p, o in zip(keys, ps, os_)]


def brier_score(probabilities, outcomes) -> float:
    """Mean of (p - o) ** 2 over the forecasts: 0 is perfect, 1 the worst, lower is better."""
    pairs = _pairs(probabilities, outcomes)
    return sum((p - o) ** 2 for _, p, o in pairs) / len(pairs)


def brier_table(probabilities, outcomes) -> pd.DataFrame:
    """One row per forecast: ``probability``, ``outcome`` and ``squared_error`` = (p - o) ** 2.

    The index is named ``forecast`` (the keys of a mapping, or 0, 1, ... for lists); the mean of
    ``squared_error`` is the Brier score.
    """
    pairs = _pairs(probabilities, outcomes)
    table = pd.DataFrame(
        {"probability": [p for _, p, _ in pairs], "outcome": [o for _, _, o in pairs],
         "squared_error": [(p - o) ** 2 for _, p, o in pairs]},
        index=pd.Index([k for k, _, _ in pairs], name="forecast"))
    return table
