import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engagement.sandbox.world import SandboxWorld
from warmup_site.demo import load_all, start_sandbox_services

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = (
        "Run the web server and the scheduler (django-q2 qcluster) together, for development "
        "and demos. Prints the URL once the site answers; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Load the demo data first (idempotent) and print its logins under the URL.",
        )

    def handle(self, *args, host, port, demo, **options):
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                raise CommandError(
                    f"Port {port} on {host} is already in use; try `make run PORT={port + 1}`."
                )
        world = self._start_sandbox_world() if settings.WARMUP_SANDBOX else None
        # The sandbox's pipeline calls the API on this machine (a wildcard address is not one).
        local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        shown = f"[{local}]" if ":" in local else local
        services = (
            self._start_sandbox_services(api_url=f"http://{shown}:{port}")
            if settings.WARMUP_SANDBOX
            else []
        )
        lines = load_all() if demo else []
        children = [
            subprocess.Popen([sys.executable, MANAGE, "runserver", f"{host}:{port}", "--noreload"]),
            subprocess.Popen([sys.executable, MANAGE, "qcluster"]),
        ]
        stopping = False

        def stop(_signum, _frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            if _wait_for_port(host, port, 30):
                self._welcome(host, port, lines=lines, world=world, services=services)
            while not stopping:
                for child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{child.args[2]} exited with {child.returncode}.")
                        stopping = True
                time.sleep(0.3)
        finally:
            self.stdout.write("Stopping the web server and the scheduler…")
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
            if world is not None:
                world.stop()
            for service in services:
                service.stop()
            self.stdout.write("Stopped.")

    def _welcome(self, host, port, *, lines, world, services) -> None:
        """The URL, the demo's logins and what else runs, once the web server answers."""
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Warmup is running at http://{shown}:{port}/"))
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"  API docs: http://{shown}:{port}/api/docs/")
        self.stdout.write("  The scheduler (qcluster) runs alongside. Ctrl-C stops both.")
        if world is not None:
            self.stdout.write(
                f"  Sandbox world (simulated providers): smtp://{world.host}:{world.port}, "
                f"mailboxes in {world.mail_root}"
            )
        for service in services:
            self.stdout.write(f"  {service.describe()}")
        self.stdout.write("")

    def _start_sandbox_world(self):
        """The simulated providers (engagement/sandbox), in this process, until Ctrl-C."""
        port = settings.WARMUP_SANDBOX_SMTP_PORT
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise CommandError(
                    f"Port {port} (the sandbox world's SMTP) is already in use; "
                    "set WARMUP_SANDBOX_SMTP_PORT to a free port."
                )
        return SandboxWorld(directory=settings.WARMUP_SANDBOX_DIR, port=port).start()

    def _start_sandbox_services(self, *, api_url: str) -> list:
        """The other simulated outside services (warmup_site.demo.SANDBOX_SERVICES: the
        providers' reputation feeds, the sending pipeline), in this process, until Ctrl-C."""
        try:
            return start_sandbox_services(api_url=api_url)
        except OSError as exc:
            raise CommandError(
                f"A sandbox service could not start ({exc}); is its port in use? "
                "Set WARMUP_SANDBOX_FEEDS_PORT to a free port."
            ) from None
