"""A sequence classifier served over Text Embeddings Inference's `/predict` protocol.

    POST {url}/predict  {"inputs": ["text", ...], "raw_scores": false, "truncate": true}
    200  [[{"label": "MALICIOUS", "score": 0.98}, {"label": "BENIGN", "score": 0.02}], ...]

The same protocol is spoken by `primeguard guard-server` (`guards/server.py`),
so one client serves both.  Labels are mapped onto `Category` by a table;
a category's score is the highest score of the labels mapped to it, and the
verdict follows the category thresholds.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from primeguard.guards.batcher import DynamicBatcher
from primeguard.guards.categories import default_tei_labels
from primeguard.guards.http_client import HeadersFactory, gather_limited, post_json, request_headers
from primeguard.guards.protocol import GuardUnavailable
from primeguard.guards.settings import ThresholdPair, category_verdicts
from primeguard.verdicts import Category, GuardResult, GuardText, Verdict, worst_verdict

logger = logging.getLogger(__name__)


class TEIClassifierGuard:
    """`Guard` over a TEI-compatible `/predict` endpoint; texts are sent in batches."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        client: httpx.AsyncClient,
        version: str,
        labels: Mapping[str, Category | None] | None = None,
        thresholds: Mapping[Category, ThresholdPair] | None = None,
        timeout_s: float = 2.0,
        max_batch_size: int = 32,
        max_concurrency: int = 16,
        api_key: str | None = None,
        headers_factory: HeadersFactory | None = None,
        coalesce_ms: float = 0.0,
    ) -> None:
        self._name = name
        self._url = url.rstrip("/") + "/predict"
        self._client = client
        self._version = version
        table = default_tei_labels() if labels is None else labels
        self._labels = {label.casefold(): category for label, category in table.items()}
        self._thresholds = dict(thresholds or {})
        self._timeout_s = timeout_s
        self._batch = max_batch_size
        self._concurrency = max_concurrency
        self._api_key = api_key
        self._headers_factory = headers_factory
        self._unknown_labels: set[str] = set()
        # > 0: texts of concurrent checks share /predict requests.  A proxy under load checks
        # one short prompt per request; sent one by one, the guard server pays its per-request
        # cost for every text (on an H100, guard-server: 149 texts/s as 64 concurrent one-text
        # requests, 7,900 as 8 concurrent requests of 64; `python -m tests.bench.guard_server`).
        self._coalescer: DynamicBatcher[tuple[str, dict[str, str]], list[dict[str, Any]]] | None = (
            DynamicBatcher(
                run=self._predict_coalesced,
                max_batch_size=max_batch_size,
                max_wait_ms=coalesce_ms,
                max_in_flight=max_concurrency,
            )
            if coalesce_ms > 0
            else None
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def requests_sent(self) -> int | None:
        """`/predict` requests sent by the coalescer (None without coalescing)."""
        return None if self._coalescer is None else self._coalescer.batches_run

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        inputs = [t.text for t in texts]
        headers = request_headers(self._api_key, self._headers_factory)
        if self._coalescer is not None:
            coalesced = await self._coalescer.submit([(text, headers) for text in inputs])
            return [self._result(scores) for scores in coalesced]
        batches = [inputs[i : i + self._batch] for i in range(0, len(inputs), self._batch)]
        calls = [functools.partial(self._predict, batch, headers) for batch in batches]
        answers = await gather_limited(calls, self._concurrency)
        return [self._result(scores) for batch_scores in answers for scores in batch_scores]

    async def _predict_coalesced(
        self, items: list[tuple[str, dict[str, str]]]
    ) -> list[list[dict[str, Any]]]:
        # One request carries one caller's headers: auth is per guard, and the trace
        # context is the first caller's, whose span the request then belongs to.
        return await self._predict([text for text, _ in items], items[0][1])

    async def _predict(
        self, batch: list[str], headers: dict[str, str]
    ) -> list[list[dict[str, Any]]]:
        body = {"inputs": batch, "raw_scores": False, "truncate": True}
        payload = await post_json(
            self._client,
            self._url,
            body,
            timeout_s=self._timeout_s,
            headers=headers,
            guard=self._name,
        )
        return _validated(payload, len(batch), self._name)

    def _result(self, predictions: list[dict[str, Any]]) -> GuardResult:
        scores: dict[Category, float] = {}
        for prediction in predictions:
            label = str(prediction["label"]).casefold()
            if label not in self._labels:
                self._note_unknown(label)
                continue
            category = self._labels[label]
            if category is not None:
                scores[category] = max(scores.get(category, 0.0), float(prediction["score"]))
        by_category = category_verdicts(scores, self._thresholds)
        return GuardResult(
            verdict=worst_verdict(by_category.values()),
            guard=self._name,
            version=self._version,
            scores=scores,
            by_category=by_category,
            uncategorised=Verdict.SAFE,
        )

    def _note_unknown(self, label: str) -> None:
        if label not in self._unknown_labels and len(self._unknown_labels) < 64:
            self._unknown_labels.add(label)
            logger.warning(
                "guard %s: label %r has no category mapping; it is ignored", self._name, label
            )

    async def close(self) -> None:
        """Drops unsent coalesced texts; the pooled client belongs to the caller."""
        if self._coalescer is not None:
            await self._coalescer.close()


def _validated(payload: Any, expected: int, guard: str) -> list[list[dict[str, Any]]]:
    """Check the response shape; a lone input may come back unnested, as TEI does."""
    if expected == 1 and isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = [payload]
    if not isinstance(payload, list) or len(payload) != expected:
        raise GuardUnavailable(f"guard {guard!r}: /predict returned the wrong number of results")
    for item in payload:
        if not isinstance(item, list) or not all(_is_prediction(p) for p in item):
            raise GuardUnavailable(f"guard {guard!r}: /predict returned a malformed prediction")
    return payload


def _is_prediction(p: Any) -> bool:
    """A label and a probability: NaN, infinities and scores outside [0, 1] are a broken
    server (a NaN compared below every threshold, so it read as safe even fail-closed)."""
    if not isinstance(p, dict) or not isinstance(p.get("label"), str):
        return False
    score = p.get("score")
    return isinstance(score, int | float) and not isinstance(score, bool) and 0.0 <= score <= 1.0
