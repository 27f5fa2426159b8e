# maillage — installation, démonstration et tests sur une machine neuve.
# `make demo` : crée .venv, installe maillage, présente le Pays de Maurienne, établit son diagnostic et son rapport.
# `make test` : crée .venv, installe maillage[dev] et lance la suite de tests.
# `make test-oldest` : la même suite (mypy compris) sur la plus ancienne version de Python
# prise en charge (3.11), dans .venv311 ; les tests d'osrm-bindings (sans roue 3.11) sont sautés.
VENV ?= .venv
# Python >= 3.12 is preferred (osrm-bindings, used by the travel-time checks, ships wheels for it);
# any Python >= 3.11 works for the package itself.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3.11 python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
BIN := $(VENV)/bin
# The oldest supported Python (requires-python = ">=3.11").
OLDEST_VENV ?= .venv311
OLDEST_PYTHON ?= $(shell for p in python3.11 $$HOME/.pyenv/versions/3.11*/bin/python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)

.PHONY: demo test test-oldest lint bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 introuvable : installez-le puis relancez."; exit 1; }
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/maillage territoire
	$(BIN)/maillage rapport --sortie etude

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

$(OLDEST_VENV)/.installed-dev: pyproject.toml
	@test -n "$(OLDEST_PYTHON)" || { echo "Python 3.11 introuvable : installez-le puis relancez."; exit 1; }
	"$(OLDEST_PYTHON)" -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install -q -e ".[dev]"
	touch $@

test-oldest: $(OLDEST_VENV)/.installed-dev
	$(OLDEST_VENV)/bin/mypy
	$(OLDEST_VENV)/bin/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/nearest.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build dist src/*.egg-info
