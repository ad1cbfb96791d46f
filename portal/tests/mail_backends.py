"""E-mail backends for the outbox tests (used in-process and by the real Celery worker thread)."""
import smtplib
import threading

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

_lock = threading.Lock()
state = {"failures_left": 0, "calls": 0, "error": None}


def flaky(failures, error=None):
    """The next ``failures`` sends raise ``error`` (a transient SMTP error by default)."""
    with _lock:
        state.update(failures_left=failures, calls=0, error=error)


class FlakyBackend(LocmemBackend):
    """locmem backend that fails as told by ``flaky()`` before delivering to django.core.mail.outbox."""

    def send_messages(self, messages):
        with _lock:
            state["calls"] += 1
            if state["failures_left"] > 0:
                state["failures_left"] -= 1
                raise state["error"] or smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")
        return super().send_messages(messages)
