# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The chat-model providers' packages: the tests build each provider's client.
LLM_EXTRAS := anthropic,google,bedrock,ollama,mistral
EXTRAS_STAMP := $(VENV)/.llm-extras

.PHONY: run install test lint format bench clean

## run: install everything and start the bot (the console when no Slack tokens are set)
run: $(STAMP)
	$(BIN)/spinebot

## install: create the virtualenv and install Spinebot with its dev tools
install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(EXTRAS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,$(LLM_EXTRAS)]"
	touch $(EXTRAS_STAMP)

## test: install what the tests need (PostgreSQL and the LLM extras included), run the suite
test: $(EXTRAS_STAMP)
	SPINEBOT_TEST_POSTGRES_URL="$${SPINEBOT_TEST_POSTGRES_URL:-$$(scripts/postgres.sh)}" \
		$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## lint: ruff's linter and formatter check, and mypy on the packages
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot knowledge portfolio jobs spinebot

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the speed and quality benchmarks (figures, not pass/fail)
bench: $(STAMP)
	SPINEBOT_TEST_POSTGRES_URL="$${SPINEBOT_TEST_POSTGRES_URL:-$$(scripts/postgres.sh)}" \
		$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache
