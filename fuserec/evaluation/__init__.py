"""Evaluation: metrics (vectorised numpy), protocols (rating, full ranking), and experiments."""

from fuserec.evaluation.experiment import Experiment, Results
from fuserec.evaluation.protocol import evaluate_ranking, evaluate_rating

__all__ = ["Experiment", "Results", "evaluate_ranking", "evaluate_rating"]
