"""Config validation: every error names the file, the key and what is wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from primeguard.config import DEFAULT_GUIDELINES_DIR, DEFAULT_ROUTES_DIR, load_config
from primeguard.errors import ConfigError
from primeguard.policy import PolicyBook
from primeguard.routing.templates import load_guidelines, load_route_templates

MODELS = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_base: 'http://h/v1'}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pg.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("extra,fragment", [
    ("routing: {on_judge_error: maybe}\n", "routing.on_judge_error"),
    ("routing: {judge_timeout_s: -1}\n", "routing.judge_timeout_s"),
    ("routng: {}\n", "routng"),
    ("tenants: [{name: a}, {name: a}]\n", "tenants"),
    ("tenants: [{name: 'bad name'}]\n", "tenants[0].name"),
    ("tenants: [{name: a, api_keys: ['sha256:xyz']}]\n", "tenants[0].api_keys"),
    ("tenants: [{name: a, api_keys: [os.environ/PG_TEST_UNSET_VAR]}]\n", "PG_TEST_UNSET_VAR"),
])
def test_invalid_config_names_file_and_key(tmp_path: Path, extra: str, fragment: str) -> None:
    path = _write(tmp_path, MODELS + extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MODELS + "routing: {speculative: true\n")
    with pytest.raises(ConfigError, match=r"line \d+"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_keys_are_kept_only_as_digests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_TEST_KEY", "sk-from-env")
    settings = load_config(_write(tmp_path, MODELS + "tenants: [{name: a, api_keys: [os.environ/PG_TEST_KEY]}]\n"))
    assert settings.tenants[0].api_keys == (hashlib.sha256(b"sk-from-env").hexdigest(),)
    assert "sk-from-env" not in repr(settings)


def test_unknown_guideline_set_fails_at_start(tmp_path: Path) -> None:
    settings = load_config(_write(tmp_path, MODELS + "tenants: [{name: a, guidelines: nosuch}]\n"))
    templates = load_route_templates(DEFAULT_ROUTES_DIR)
    with pytest.raises(ConfigError, match="tenants\\[0\\].guidelines: unknown guideline set 'nosuch'"):
        PolicyBook(settings, templates, load_guidelines(DEFAULT_GUIDELINES_DIR))


def test_guideline_versions_follow_content(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("rule one")
    first = load_guidelines(tmp_path)["a"].version
    (tmp_path / "a.md").write_text("rule two")
    assert load_guidelines(tmp_path)["a"].version != first


def test_route_template_missing_placeholder_is_rejected(tmp_path: Path) -> None:
    for item in DEFAULT_ROUTES_DIR.iterdir():
        (tmp_path / item.name).write_text(item.read_text())
    (tmp_path / "route_selection.txt").write_text("judge this: $boundary")  # no $guidelines
    with pytest.raises(ConfigError, match="route_selection.txt: must use the placeholders"):
        load_route_templates(tmp_path)


def test_route_table_must_cover_every_route(tmp_path: Path) -> None:
    for item in DEFAULT_ROUTES_DIR.iterdir():
        (tmp_path / item.name).write_text(item.read_text())
    table = (tmp_path / "table.yaml").read_text().replace("  direct_violation:\n    action: refuse", "")
    (tmp_path / "table.yaml").write_text(table)
    with pytest.raises(ConfigError, match="direct_violation"):
        load_route_templates(tmp_path)


def test_cli_exits_2_on_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from primeguard.cli import main

    path = _write(tmp_path, "model_list: []\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "model_list" in capsys.readouterr().err


def test_check_config_validates_every_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from primeguard.cli import main

    good = _write(tmp_path, MODELS + "guards: {definitions: {}}\n")
    assert main(["check-config", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(MODELS + "guards: {input: [nosuch]}\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "'nosuch'" in err
    bad.write_text(MODELS + "cache: {url: 'http://nope'}\n")
    assert main(["check-config", str(bad)]) == 2
    bad.write_text(MODELS + "tenants: [{name: a, input_guards: [ghost]}]\nguards: {definitions: {}}\n")
    assert main(["check-config", str(bad)]) == 2
    assert "tenants[0].input_guards" in capsys.readouterr().err
    bad.write_text(MODELS + "routing: {judge_model: ghost}\n")
    assert main(["check-config", str(bad)]) == 2


def test_check_config_accepts_tenants_naming_defined_guards(tmp_path: Path) -> None:
    from primeguard.cli import main

    good = _write(tmp_path, MODELS + "guards: {definitions: {g1: {kind: tei, url: 'http://127.0.0.1:9'}}}\n"
                  "tenants: [{name: a, input_guards: [g1], output_guards: [g1]}]\n")
    assert main(["check-config", str(good)]) == 0


def test_a_tenants_input_guards_are_part_of_its_cached_decisions(tmp_path: Path) -> None:
    """Adding a guard to a tenant must not reuse decisions cached without it (Redis outlives
    a restart)."""
    from types import SimpleNamespace

    from primeguard.policy import GuardSelection

    tenants = "tenants: [{name: a, api_keys: [ka], input_guards: []}, {name: b, api_keys: [kb], input_guards: [g]}]\n"
    settings = load_config(_write(tmp_path, MODELS + tenants))
    guard = SimpleNamespace(name="g", version="v1")
    selection = GuardSelection(inputs={"g": guard}, outputs={"g": guard})  # type: ignore[dict-item]
    book = PolicyBook(settings, load_route_templates(DEFAULT_ROUTES_DIR),
                      load_guidelines(DEFAULT_GUIDELINES_DIR), guards=selection)
    versions = {p.tenant: p.decision_version for p in book.policies().values()}
    assert versions["a"] != versions["b"] and versions["b"].endswith(":g")
