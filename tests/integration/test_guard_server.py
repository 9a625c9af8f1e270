"""The guard server over real HTTP, hosting a tiny random BERT classifier."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from primeguard.guards.server import create_guard_app
from tests.integration.loopback import build_tiny_classifier, serve

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def guard_app(tmp_path_factory: pytest.TempPathFactory) -> Starlette:
    model_dir = build_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")
    return create_guard_app(model_dir, max_batch_size=8, max_wait_ms=30, device="cpu")


@pytest.fixture(scope="module")
def base_url(guard_app: Starlette) -> Iterator[str]:
    with serve(guard_app) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as c:
        yield c


def assert_predictions(predictions: object) -> None:
    assert isinstance(predictions, list) and len(predictions) == 2
    assert {p["label"] for p in predictions} == {"BENIGN", "MALICIOUS"}
    assert abs(sum(p["score"] for p in predictions) - 1) < 1e-6
    assert predictions[0]["score"] >= predictions[1]["score"]


async def test_predict_batch(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/predict", json={"inputs": ["hello world", "kill bomb", "nice day !"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 3
    for predictions in body:
        assert_predictions(predictions)


async def test_a_trailing_slash_is_served_not_redirected(client: httpx.AsyncClient) -> None:
    plain = await client.post("/predict", json={"inputs": "hello world"})
    slashed = await client.post("/predict/", json={"inputs": "hello world"})
    assert slashed.status_code == 200 and slashed.json() == plain.json()
    assert (await client.get("/health/")).status_code == 200
    assert (await client.get("/nope/")).status_code == 404


async def test_single_input_comes_back_unnested(client: httpx.AsyncClient) -> None:
    batch = (await client.post("/predict", json={"inputs": ["hello world"]})).json()
    single = (await client.post("/predict", json={"inputs": "hello world"})).json()
    assert_predictions(single)
    assert single == batch[0]


async def test_raw_scores_are_logits(client: httpx.AsyncClient) -> None:
    raw = (await client.post("/predict", json={"inputs": "hello", "raw_scores": True})).json()
    assert abs(sum(p["score"] for p in raw) - 1) > 1e-9


async def test_healthz_and_info(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/health")).json() == {"status": "ok"}  # TEI's path
    nulls = await client.post("/predict", json={"inputs": "hello", "raw_scores": None, "truncate": None})
    assert nulls.status_code == 200 and nulls.json() == (await client.post("/predict", json={"inputs": "hello"})).json()
    info = (await client.get("/info")).json()
    assert info["labels"] == ["BENIGN", "MALICIOUS"]
    assert info["max_client_batch_size"] == 8 and info["max_input_length"] == 64
    assert info["device"] == "cpu" and len(info["model_sha"]) == 16 and info["model_id"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"inputs": 3}, 400, "inputs"),
        ({"inputs": [1, "a"]}, 400, "inputs"),
        ({"inputs": []}, 400, "inputs"),
        ({"inputs": [["a", "b"]]}, 400, "inputs"),
        ({"text": "a"}, 400, "inputs"),
        ({"inputs": "a", "raw_scores": "yes"}, 400, "raw_scores"),
        ({"inputs": ["a"] * 9}, 413, "inputs"),
        ({"inputs": "hello " * 100}, 413, "inputs"),
    ],
)
async def test_bad_input(client: httpx.AsyncClient, body: object, status: int, param: str) -> None:
    response = await client.post("/predict", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]


async def test_long_input_is_truncated_on_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/predict", json={"inputs": "hello " * 100, "truncate": True})
    assert response.status_code == 200


async def test_invalid_json_and_unknown_paths(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/predict", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
    not_utf8 = await client.post("/predict", content=b'{"inputs": "\xff\xfe"}')
    assert not_utf8.status_code == 400 and not_utf8.json()["error"]["code"] == "invalid_request"
    missing = await client.get("/nope")
    assert missing.status_code == 404 and "error" in missing.json()
    wrong_method = await client.get("/predict")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


async def test_concurrent_requests_share_a_forward_pass(
    client: httpx.AsyncClient, guard_app: Starlette
) -> None:
    batcher = guard_app.state.batcher
    before = batcher.batches_run
    responses = await asyncio.gather(
        *(client.post("/predict", json={"inputs": ["hello"]}) for _ in range(12))
    )
    assert all(r.status_code == 200 for r in responses)
    first = responses[0].json()[0][0]["score"]
    assert all(
        abs(r.json()[0][0]["score"] - first) < 1e-5 for r in responses
    )  # batching changes nothing
    assert batcher.batches_run - before < 12


def test_model_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        create_guard_app(tmp_path / "missing")
