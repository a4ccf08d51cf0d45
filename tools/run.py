"""Run the web server and the one task consumer side by side (what `make run` starts).

Ctrl-C (SIGINT) or SIGTERM stops both: the consumer is asked with SIGINT (huey's graceful
stop), the web server with SIGTERM (it holds nothing; on SIGINT click prints "Aborted!");
SIGTERM follows if one has not stopped after a while, and SIGKILL as a last resort. The children run in their own session, so a Ctrl-C
at the terminal reaches them once, through here. Exit status 0 after a requested stop;
if one child dies on its own, the other is stopped and its exit status is passed on.

    python tools/run.py --host 127.0.0.1 --port 5000
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_S = 8.0  # how long a child may take to stop when asked (huey finishes its task)
FIRST_SIGNALS = [signal.SIGINT, signal.SIGTERM]  # consumer: graceful stop; web server: quiet stop


def commands(host: str, port: str, bindir: Path, instance: Path) -> list[list[str]]:
    """The consumer (periodic tick every minute) and the web server."""
    return [
        [str(bindir / "huey_consumer"), "bluebird.tasks.huey", "--workers", "4",
         "--logfile", str(instance / "queue.log"), "--quiet"],
        # app.py calls gc.freeze() once the app is loaded (in this child, where it runs).
        [str(bindir / "flask"), "--app", "app", "run", "--host", host, "--port", str(port)],
    ]


def stop(children: list[subprocess.Popen], grace: float = GRACE_S, first=None) -> bool:
    """Ask each running child to stop, harder if it does not; True if none had to be killed.

    first: the polite signal per child (default SIGINT): huey stops gracefully on SIGINT;
    the development web server holds nothing and stops quietly on SIGTERM.
    """
    first = first or [signal.SIGINT] * len(children)
    for step, (signum, wait) in enumerate(((None, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0))):
        running = [(c, s) for c, s in zip(children, first, strict=True) if c.poll() is None]
        if not running:
            return True
        for child, polite in running:
            try:
                child.send_signal(polite if step == 0 else signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(c.poll() is None for c, _ in running):
            time.sleep(0.05)
        if signum == signal.SIGKILL:
            return False
    return all(c.poll() is not None for c in children)


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    parser.add_argument("--grace", type=float, default=GRACE_S)
    args = parser.parse_args(argv)
    bindir = Path(sys.executable).parent
    instance = Path(os.environ.get("BLUEBIRD_INSTANCE_PATH") or "instance")
    instance.mkdir(parents=True, exist_ok=True)

    asked = []

    def on_signal(signum, frame):
        asked.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # SIGINT ignored from birth: Python then raises no KeyboardInterrupt while a child is
    # still importing (huey installs its own SIGINT handler once it is up; before that the
    # SIGTERM that follows the grace stops it quietly).
    children = [subprocess.Popen(cmd, start_new_session=True, preexec_fn=_ignore_sigint)
                for cmd in commands(args.host, args.port, bindir, instance)]
    print(f"run: consumer pid {children[0].pid}, web pid {children[1].pid}; Ctrl-C stops both", flush=True)
    while not asked and all(c.poll() is None for c in children):
        time.sleep(0.1)
    if asked:
        name = signal.Signals(asked[0]).name
        print(f"run: {name}, stopping the web server and the consumer", flush=True)
        clean = stop(children, args.grace, FIRST_SIGNALS)
        print("run: stopped" if clean else "run: a process had to be killed", flush=True)
        return 0 if clean else 1
    died = next(c for c in children if c.poll() is not None)
    print(f"run: {Path(died.args[0]).name} exited with status {died.returncode}; stopping the other", flush=True)
    stop(children, args.grace, FIRST_SIGNALS)
    return died.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
