# One dev loop. `make run` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
KC := $(VENV)/bin/khuyencong
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run ask test install install-dev install-fuzz chromium index lint fix eval fuzz bench clean

run: install ## install, build the index if missing, then serve the chat page and API (prints the URL)
	$(KC) serve --host $(HOST) --port $(PORT)

ask: install ## answer one question from the command line: make ask Q="..."
	$(KC) ask "$(or $(Q),Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?)"

test: install-dev ## install everything the tests need, then run them
	$(PY) -m pytest

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[st,dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev chromium

chromium: ## headless Chromium for tests/test_web_browser.py: apt-get, only when missing and only as root
	@if test -x /usr/bin/chromium && test -x /usr/bin/chromedriver; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	else echo "Chromium is missing and we are not root: the browser test will be skipped."; fi

index: install
	$(KC) index

eval: install ## the development set and the chat sets (chatset3 on: blind when written) (figures go to eval/RESULTS.md)
	$(KC) index --if-missing
	$(KC) eval
	$(KC) eval --questions eval/chatset.jsonl
	$(KC) eval --questions eval/chatset2.jsonl
	$(KC) eval --questions eval/chatset3.jsonl
	$(KC) eval --questions eval/chatset4.jsonl
	$(KC) eval --questions eval/chatset5.jsonl
	$(KC) eval --questions eval/chatset6.jsonl
	$(KC) eval --questions eval/chatset7.jsonl
	$(KC) eval --questions eval/chatset8.jsonl
	$(KC) eval --questions eval/chatset9.jsonl
	$(KC) eval --questions eval/chatset10.jsonl
	$(KC) eval --questions eval/chatset11.jsonl

fuzz: install-fuzz ## schemathesis against the live server's OpenAPI schema, >= 20,000 requests, no 5xx (not in `make test`)
	$(KC) index --if-missing
	$(PY) eval/fuzz.py --requests $(or $(REQUESTS),20000)

$(VENV)/.installed-fuzz: $(VENV)/.installed
	$(PIP) install -q -e '.[fuzz]'
	touch $@

install-fuzz: $(VENV)/.installed-fuzz

lint: install-dev
	$(VENV)/bin/ruff format --check assistant bots tests eval
	$(VENV)/bin/ruff check assistant bots tests eval
	$(VENV)/bin/mypy  # strict, on assistant/ and bots/ (pyproject.toml [tool.mypy])

fix: install-dev
	$(VENV)/bin/ruff format assistant bots tests eval
	$(VENV)/bin/ruff check --fix assistant bots tests eval

clean:
	rm -rf index .pytest_cache .ruff_cache .mypy_cache
