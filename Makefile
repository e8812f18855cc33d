# cmmi-bot: `make run` starts the assistant, `make test` runs the linter, the type checker and every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EVAL ?= ../shared/eval/questions_dev.jsonl

.PHONY: run test test-future lint typecheck format bench eval clean teams-package

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cmmi-bot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict model_data index handlers store
	$(BIN)/mypy bot
	$(BIN)/python -m pytest

# The tests marked `calendar` (digests, scheduling, readiness, evidence dates) with the clock 400 days ahead.
test-future: $(STAMP)
	faketime '+400 days' $(BIN)/python -m pytest -m calendar -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The core (model, index, handlers, store) under mypy --strict; the adapters in bot/ at mypy's default level.
typecheck: $(STAMP)
	$(BIN)/mypy --strict model_data index handlers store
	$(BIN)/mypy bot

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The Teams app package to sideload, with your bot's app (client) ID written into the manifest: make teams-package APP_ID=...
teams-package: $(STAMP)
	$(BIN)/python -m bot.teams.package --app-id "$(APP_ID)" --out build/cmmi-teams.zip

eval: $(STAMP)
	$(BIN)/cmmi-bot eval $(EVAL)
	$(BIN)/cmmi-bot eval tests/data/questions_team.jsonl
	$(BIN)/cmmi-bot eval tests/data/questions_dev2.jsonl
	$(BIN)/cmmi-bot eval tests/data/questions_blind.jsonl

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
