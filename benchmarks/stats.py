"""Aggregate statistics over a few runs, as Agarwal et al. (2021) recommend for deep RL.

"Deep Reinforcement Learning at the Edge of the Statistical Precipice" (NeurIPS 2021):
report the interquartile mean (IQM) of the runs' scores with a 95 % stratified-bootstrap
confidence interval. Their library, ``rliable``, computes it with ``scipy.stats.trim_mean``
and the ``arch`` package's percentile bootstrap; ``arch`` brings pandas, statsmodels, scipy
and seaborn with it, too much for a benchmark extra, so the same computation is written here
in NumPy:

- IQM: the mean of the middle 50 % of the scores, after dropping ``int(0.25 * n)`` from each
  end (``scipy.stats.trim_mean(x, 0.25)``, hence rliable's ``metrics.aggregate_iqm``).
- Stratified bootstrap: resample the runs with replacement within each task (the strata),
  never across tasks, recompute the statistic on every resample; the 95 % interval is the
  2.5th and 97.5th percentiles of those values (rliable's default, "percentile").

Seeded, so a report regenerated from the same results shows the same intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["BOOTSTRAP_REPS", "bootstrap_mean_band", "iqm", "stratified_bootstrap_ci"]

BOOTSTRAP_REPS = 50_000  # rliable's default for get_interval_estimates


def iqm(scores: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """Interquartile mean: the mean of the scores left after cutting 25 % off each end.

    With ``axis=None`` over all scores (the runs of every task pooled, as rliable does).

    >>> float(iqm(np.arange(1, 9)))  # 1..8: cut 2 at each end, mean of 3, 4, 5, 6
    4.5
    >>> float(iqm([0, 0, 1, 100]))  # n = 4: cut 1 at each end; robust to the outlier
    0.5
    """
    scores = np.asarray(scores, dtype=float)
    if axis is None:
        scores, axis = scores.ravel(), 0
    scores = np.sort(scores, axis=axis)
    n = scores.shape[axis]
    cut = int(0.25 * n)
    middle = np.take(scores, np.arange(cut, n - cut), axis=axis)
    return middle.mean(axis=axis)


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable[..., np.ndarray | float] = iqm,
    reps: int = BOOTSTRAP_REPS,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The statistic of `scores` and its percentile stratified-bootstrap confidence interval.

    `scores` is ``(runs, tasks)`` (or ``(runs,)``: one task). Each bootstrap sample draws
    ``runs`` runs with replacement within each task; `statistic(samples, axis=1)` must reduce
    a ``(reps, runs * tasks)`` array row by row (``iqm`` and ``np.mean`` do).

    Returns ``(point estimate, low, high)``.

    >>> point, low, high = stratified_bootstrap_ci(np.arange(1, 9), reps=2_000)
    >>> point, bool(low < point < high)
    (4.5, True)
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        scores = scores[:, None]
    runs, tasks = scores.shape
    if runs == 0:
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    index = rng.integers(0, runs, size=(reps, runs, tasks))
    samples = np.take_along_axis(scores[None], index, axis=1).reshape(reps, runs * tasks)
    values = np.asarray(statistic(samples, axis=1))
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(statistic(scores.ravel(), axis=0)), float(low), float(high)


def bootstrap_mean_band(
    curves: np.ndarray, reps: int = 1_000, level: float = 0.95, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise percentile-bootstrap interval of the mean of `curves` ``(seeds, points)``.

    The seeds are resampled together (one draw of seeds for the whole curve). Returns the
    ``(low, high)`` arrays, one value per point.
    """
    curves = np.asarray(curves, dtype=float)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, curves.shape[0], size=(reps, curves.shape[0]))
    means = curves[index].mean(axis=1)  # (reps, points)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(means, [tail, 100.0 - tail], axis=0)
    return low, high
