"""The learned re-ranker, as stages: candidates pooled from several retrievers
(``candidates``), their features (``features``), labelled training groups from validation splits
(``groups``), LambdaRank models (``rankers``), retriever selection (``selection``), and the
model that orchestrates them (``reranker.LearnedReranker``)."""

from fuserec.fusion.rerank.features import DAY, Side
from fuserec.fusion.rerank.reranker import LearnedReranker, default_retrievers
from fuserec.fusion.rerank.selection import DROP_T

__all__ = ["DAY", "DROP_T", "LearnedReranker", "Side", "default_retrievers"]
