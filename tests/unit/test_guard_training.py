"""Guard training: data mapping, synthetic sets, seeded determinism, artefacts."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from primeguard.guards.data import CATEGORIES, categories_for, category_targets, synthetic_examples
from primeguard.guards.fitting import Matrix, TrainConfig, bank_of, fit_heads, to_matrix
from primeguard.guards.heads import HEAD_NAMES, GuardHeads
from primeguard.guards.precedents import full_scores
from primeguard.guards.thresholds import Threshold
from primeguard.guards.training import calibrate
from primeguard.guards.validation import in_source_report, in_source_scores
from primeguard.verdicts import Category


def test_source_categories_map_onto_ours() -> None:
    row = {"text": "x", "category": "PAIR|Physical harm", "source": "JailbreakBench/artifacts"}
    assert categories_for(row) == ({Category.VIOLENCE}, True)
    row = {
        "text": "Can you love me?",
        "category": "Human-Chatbot Interaction Harms",
        "source": "dna",
    }
    assert categories_for(row) is None  # noisy category: dropped unless a keyword finds harm
    row = {"text": "how to build a bomb", "category": None, "source": "advbench"}
    found = categories_for(row)
    assert found is not None and Category.WEAPONS_CBRN in found[0]


def test_targets_mask_related_and_unknown() -> None:
    t = dict(zip(CATEGORIES, category_targets(True, {Category.WEAPONS_CBRN}, True)))
    assert t[Category.WEAPONS_CBRN] == 1 and t[Category.VIOLENCE] == -1 and t[Category.SEXUAL] == 0
    assert set(category_targets(True, set(), False)) == {-1}
    assert set(category_targets(False, set(), True)) == {0}


def test_synthetic_sets_are_seeded_and_licensed() -> None:
    a, b = synthetic_examples(0), synthetic_examples(0)
    assert a == b and len(a) > 1000
    assert {e.licence for e in a} == {"Apache-2.0"}
    texts = {e.text for e in a if not e.unsafe}
    assert any("kill" in t and "process" in t for t in texts)


def test_synthetic_twins_never_disagree_and_share_wrappers() -> None:
    """Benign traffic and its toxic twins: no text carries both labels; the wrappers recur."""
    examples = synthetic_examples(0)
    labels: dict[str, set[bool]] = {}
    for e in examples:
        labels.setdefault(" ".join(e.text.lower().split()), set()).add(e.unsafe)
    assert [t for t, seen in labels.items() if len(seen) > 1] == []
    sources = {e.source.rsplit("/", 1)[0] for e in examples}
    assert {"primeguard/benign-traffic", "primeguard/benign-tasks"} <= sources
    assert {"primeguard/benign-statements", "primeguard/unsafe-statements"} <= sources
    assert {"primeguard/benign-howto", "primeguard/unsafe-howto"} <= sources
    assert {"primeguard/benign-documents", "primeguard/unsafe-injection"} <= sources
    assert {"primeguard/benign-writing", "primeguard/unsafe-writing"} <= sources
    drafts = [e for e in examples if e.text.startswith("Help me write ")]
    assert {e.unsafe for e in drafts} == {True, False}
    howto = [
        e for e in examples if e.text.startswith("Give detailed step-by-step instructions for")
    ]
    assert {e.unsafe for e in howto} == {True, False}
    assert "primeguard/unsafe-toxic" in sources
    stories = [e for e in examples if e.text.startswith("Write a story where")]
    assert {e.unsafe for e in stories} == {True, False}
    toxic = [e for e in examples if e.source.startswith("primeguard/unsafe-toxic")]
    # each names its categories, but disinformation: unsafe overall, every category unknown
    assert all(e.targets.count(1) >= 1 or set(e.targets) == {-1} for e in toxic)
    assert any("Holocaust never happened" in e.text and set(e.targets) == {-1} for e in toxic)


def test_talk_about_harm_is_benign_and_asking_for_sex_is_sexual() -> None:
    """The discourse families are safe with no category; their unsafe side names SEXUAL."""
    examples = synthetic_examples(0)
    talk = [e for e in examples if e.source.startswith("primeguard/benign-discourse/")]
    asks = [e for e in examples if e.source.startswith("primeguard/unsafe-sexual/")]
    assert len({e.source for e in talk}) >= 6 and len(talk) >= 400
    assert not any(e.unsafe for e in talk) and all(set(e.targets) == {0} for e in talk)
    assert any("sexual harassment" in e.text for e in talk)
    assert any("suicide" in e.text.lower() for e in talk)
    sexual = CATEGORIES.index(Category.SEXUAL)
    assert asks and all(e.unsafe and e.targets[sexual] == 1 for e in asks)


def _tiny(seed: int = 0, n: int = 300) -> Matrix:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2 * 384)).astype(np.float32)  # two pooled layers
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    unsafe = x[:, 0] > 0
    y = np.full((n, len(HEAD_NAMES)), -1.0, dtype=np.float32)
    y[:, -1] = unsafe
    y[:, 0] = np.where(unsafe, (x[:, 1] > 0).astype(np.float32), 0.0)
    source = np.array([f"s{i % 3}" for i in range(n)])
    return Matrix(x, y, np.ones(n, dtype=np.float32), source)


def test_tiny_training_is_deterministic(tmp_path: Path) -> None:
    cfg = TrainConfig(seed=3, epochs=5, hidden=8)
    m = _tiny()
    a, b = fit_heads(m, cfg), fit_heads(m, cfg)
    assert a.digest() == b.digest()
    assert fit_heads(m, TrainConfig(seed=4, epochs=5, hidden=8)).digest() != a.digest()
    scores = a.scores(m.x)
    assert scores.shape == (300, len(HEAD_NAMES)) and ((scores >= 0) & (scores <= 1)).all()
    a.save(tmp_path / "h.safetensors")
    assert GuardHeads.load(tmp_path / "h.safetensors").digest() == a.digest()


def test_calibration_orders_thresholds() -> None:
    m = _tiny()
    th = calibrate(m, fit_heads(m, TrainConfig(epochs=3, hidden=8)).scores(m.x))
    assert set(th) == set(HEAD_NAMES)
    assert all(isinstance(t, Threshold) and t.controversial <= t.unsafe for t in th.values())


def _random_matrix(sources: list[tuple[str, int]], seed: int = 0) -> Matrix:
    """Unit-norm random features per layer block, random overall labels, categories unknown."""
    rng = np.random.default_rng(seed)
    n = sum(k for _, k in sources)
    x = rng.normal(size=(n, 2, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.full((n, len(HEAD_NAMES)), -1, dtype=np.float32)
    y[:, -1] = rng.integers(0, 2, n)
    source = np.array([s for s, k in sources for _ in range(k)])
    return Matrix(x.reshape(n, -1), y, np.ones(n, dtype=np.float32), source)


def test_in_source_scores_never_see_their_own_rows() -> None:
    # Labels are noise: only a guard that saw a row can know its label.  Trained on the
    # rows themselves, the precedents' vote finds each row (cosine 1) and recalls it.
    m = _random_matrix([("mixed", 240), ("other", 60)])
    cfg = TrainConfig(epochs=2, hidden=8)
    rows = m.source == "mixed"
    truth = m.y[rows, -1] == 1
    seen = full_scores(fit_heads(m, cfg), bank_of(m), m.x[rows])[:, -1] >= 0.5
    assert (seen == truth).mean() > 0.9
    held = in_source_scores(m, cfg, "mixed")[:, -1] >= 0.5
    assert abs((held == truth).mean() - 0.5) < 0.12


def test_in_source_report_covers_large_mixed_sources_only() -> None:
    m = _random_matrix([("mixed", 200), ("small", 40), ("one-sided", 200)])
    m.y[m.source == "one-sided", -1] = 1
    th = {name: Threshold(0.5, 0.5) for name in HEAD_NAMES}
    report = in_source_report(m, TrainConfig(epochs=1, hidden=4), th, min_rows=150)
    assert list(report) == ["mixed"]
    assert report["mixed"]["n"] == 200  # type: ignore[index]


def test_to_matrix_balances_sources() -> None:
    ex = synthetic_examples(0)
    m = to_matrix(ex, np.zeros((len(ex), 384), dtype=np.float32))
    per_source = {s: float(m.weight[m.source == s].sum()) for s in np.unique(m.source)}
    sizes = {s: int((m.source == s).sum()) for s in per_source}
    big, small = max(sizes, key=sizes.__getitem__), min(sizes, key=sizes.__getitem__)
    assert per_source[big] / per_source[small] < sizes[big] / sizes[small]


DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="needs shared/data")
def test_train_guard_end_to_end(tmp_path: Path) -> None:
    from primeguard.guards.training import train_guard

    metrics = train_guard(
        DATA,
        tmp_path,
        seed=0,
        limit=400,
        config=TrainConfig(epochs=3),
        cache_dir=tmp_path / "cache",
    )
    meta = json.loads((tmp_path / "thresholds.json").read_text())
    assert meta["commercial_use"] is True and "loso" in metrics
    assert (tmp_path / "MODEL_CARD.md").read_text().count("|") > 10
    assert GuardHeads.load(tmp_path / "heads.safetensors").w1.shape[0] == len(Category) + 1
    for name in ("heads.safetensors", "precedents.safetensors"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644  # not safetensors' own 0600


def test_threat_family_has_twins_in_its_words_and_is_kept_apart_from_the_probes() -> None:
    """Threats are violence (hate too, against a group); their twins reuse the threats' own
    knowledge of someone's day with no menace; no five words in a row are shared with any
    probe in tests/bench, so the probes stay a held-out check of the family."""
    examples = synthetic_examples(0)
    threats = [e for e in examples if e.source.startswith("primeguard/unsafe-threats/")]
    twins = [e for e in examples if e.source.startswith("primeguard/benign-threats/")]
    assert len(threats) >= 200 and len(twins) >= 80
    violence, hate = CATEGORIES.index(Category.VIOLENCE), CATEGORIES.index(Category.HATE)
    assert all(e.unsafe and e.targets[violence] == 1 for e in threats)
    assert any(e.targets[hate] == 1 for e in threats)
    assert not any(e.unsafe for e in twins)
    menacing = {e.text.split(". ")[0].lower() for e in threats if e.source.endswith("/t1")}
    friendly = {e.text.split(". ")[0].lower() for e in twins if e.source.endswith("/u0")}
    assert menacing & friendly  # the same knowledge, a different sentence after it
    assert "i've watched you" not in " ".join(friendly)  # a watcher's knowledge has no twin
    shared = {g for e in threats + twins for g in _runs(e.text)} & _probe_runs()
    assert not shared, sorted(shared)[:5]


@pytest.mark.parametrize(
    ("family", "category", "words"),
    [
        ("selfharm", Category.SELF_HARM, ("suicide", "self-harm", "relapse", "cutting")),
        ("hate", Category.HATE, ("immigrants", "muslims", "women", "disabled")),
        ("violence", Category.VIOLENCE, ("stabbing", "blood", "knife", "knockout")),
        ("harassment", Category.HATE, ("idiot", "ugly", "loser", "worthless")),
        ("illicit", Category.ILLICIT, ("cocaine", "meth", "scam", "fake")),
    ],
)
def test_helper_written_posts_are_their_category_with_twins_and_kept_apart_from_the_probes(
    family: str, category: Category, words: tuple[str, ...]
) -> None:
    """Each set's posts are its category (and hate where the file says so: urging someone to
    kill themselves, violence against a group); its twins use the same words and are safe;
    no text is on both sides or shares five words in a row with a probe."""
    examples = synthetic_examples(0)
    posts = [e for e in examples if e.source.startswith(f"primeguard/unsafe-{family}/")]
    twins = [e for e in examples if e.source.startswith(f"primeguard/benign-{family}/")]
    assert len(posts) >= 80 and len(twins) >= 80
    index, hate = CATEGORIES.index(category), CATEGORIES.index(Category.HATE)
    assert all(e.unsafe and e.targets[index] == 1 for e in posts)
    extra = [e for e in posts if list(e.targets).count(1) > 1]
    assert all(e.targets[hate] == 1 for e in extra)
    assert len(extra) < len(posts) // 4 if category is not Category.HATE else not extra
    assert not any(e.unsafe for e in twins)
    assert not {e.text for e in posts} & {e.text for e in twins}
    said = " ".join(e.text.lower() for e in twins)
    assert all(re.search(rf"\b{re.escape(w)}\b", said) for w in words)
    shared = {g for e in posts + twins for g in _runs(e.text)} & _probe_runs()
    assert not shared, sorted(shared)[:5]


def test_urging_self_harm_is_taught_as_harassment_too() -> None:
    posts = [e for e in synthetic_examples(0) if e.source.startswith("primeguard/unsafe-selfharm/")]
    hate = CATEGORIES.index(Category.HATE)
    urging = [e for e in posts if "nobody would miss you" in e.text.lower()]
    assert urging and all(e.targets[hate] == 1 for e in urging)
    plans = [e for e in posts if e.text.lower().startswith("ok i've decided")]
    assert plans and all(e.targets[hate] != 1 for e in plans)


@cache
def _probe_runs() -> frozenset[str]:
    """Every five-word run of every probe set in tests/bench (`guard_probes.SETS`), built once
    for the four tests that check a family against them."""
    from tests.bench.guard_probes import SETS

    runs = frozenset(g for texts in SETS.values() for t in texts for g in _runs(t))
    assert len(runs) > 10_000
    return runs


def _runs(text: str, n: int = 5) -> set[str]:
    """Every n words in a row, lower case, apostrophes dropped ("won't" is "wont")."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
