"""E-mail backends for the outbox tests (used in-process and by the real Celery worker thread)."""
import smtplib
import threading
import time

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

_lock = threading.Lock()
state = {"failures_left": 0, "calls": 0, "error": None, "delay": 0}


def flaky(failures, error=None, delay=0):
    """The next ``failures`` sends raise ``error`` (a transient SMTP error by default); each send takes
    ``delay`` seconds (a slow SMTP server)."""
    with _lock:
        state.update(failures_left=failures, calls=0, error=error, delay=delay)


class FlakyBackend(LocmemBackend):
    """locmem backend that fails as told by ``flaky()`` before delivering to django.core.mail.outbox."""

    def send_messages(self, messages):
        if state["delay"]:
            time.sleep(state["delay"])
        with _lock:
            state["calls"] += 1
            if state["failures_left"] > 0:
                state["failures_left"] -= 1
                raise state["error"] or smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")
        return super().send_messages(messages)
