"""Running one function in several threads at once, each with its own database connection (for tests
of what two requests or two workers do at the same moment)."""
import threading

from django.db import connection


def run_in_threads(func, count=4):
    """Call ``func()`` in ``count`` threads started together; return the exceptions they raised."""
    errors = []

    def target():
        try:
            func()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
