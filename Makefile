# The two set-up commands, for a fresh Debian/Ubuntu machine (as root, or a user with sudo):
#   make demo          install what is missing, load the demo city, serve it on
#                      http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops)
#   make demo RELOAD=1 the same, but load the demo city anew
#   make test          install what is missing, run the tests (PYTEST_ARGS="-x -k map")
# DATABASE_URL and REDIS_URL (environment or .env) point them at other servers.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help demo test

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

demo:
	@bash scripts/setup.sh demo
	@echo "==> loading the demo city (skipped when it is loaded already)"
	@.venv/bin/gridgov demo load $(if $(filter 1 yes true,$(RELOAD)),--reload)
	@.venv/bin/gridgov demo accounts
	@bash scripts/serve.sh

test:
	@bash scripts/setup.sh test
	@.venv/bin/pytest $(PYTEST_ARGS)
