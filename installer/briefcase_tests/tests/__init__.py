"""Smoke tests that run inside a packaged QDesk or QDesk Bridge (`briefcase dev --test`, `briefcase run --test`)."""
