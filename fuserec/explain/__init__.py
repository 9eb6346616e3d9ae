"""Explanations grounded in the model's own computation: which history items, terms and
popularity placed a recommended item, worded by template in English or Chinese, and checked for
faithfulness by a deletion test; optionally reworded by a language model under a validator."""

from fuserec.explain.explainer import Explainer, ItemInfo
from fuserec.explain.faithfulness import Deletion, deletion_test, summarise
from fuserec.explain.templates import LANGUAGES, render
from fuserec.explain.validate import Validator
from fuserec.explain.wording import Wording
from fuserec.models.attribution import Attribution, CannotAttribute, history_contributions

__all__ = ["LANGUAGES", "Attribution", "CannotAttribute", "Deletion", "Explainer", "ItemInfo", "deletion_test",
           "Validator", "Wording",
           "history_contributions", "render", "summarise"]
