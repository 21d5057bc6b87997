"""`follicle serve`: the web server and the task worker together; Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development web server and the background task worker together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--noreload", action="store_true", help="Do not restart the web server on code changes."
        )

    def handle(self, *args, addrport, noreload, **options):
        follicle = [sys.executable, "-m", "follicle"]
        web_cmd = [*follicle, "runserver", addrport] + (["--noreload"] if noreload else [])
        procs = {
            "worker": subprocess.Popen([*follicle, "run_huey"]),  # noqa: S603
            "web": subprocess.Popen(web_cmd),  # noqa: S603
        }

        def stop(*_args):
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
        try:
            while True:
                for name, proc in procs.items():
                    code = proc.poll()
                    if code is not None:
                        self.stderr.write(f"The {name} process stopped (exit {code}); stopping the other.")
                        stop()
                        sys.exit(code or 1)
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the web server and the worker…")
            stop()
