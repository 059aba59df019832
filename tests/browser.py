"""How the tests and the benchmarks start Debian's chromium through Playwright: headless, offline, no first-run."""

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
