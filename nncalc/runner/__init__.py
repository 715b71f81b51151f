"""Running ``nncalc forward`` without Typer: the job record (:mod:`.job`), the stream
runner for data output (:mod:`.stream`) and the table runner (:mod:`.tables`).  The CLI
(nncalc/cli/forward.py) only parses options and hands them here; terminal concerns
(notes on stderr, progress bars) come in as callbacks."""
