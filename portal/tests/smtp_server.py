"""A small SMTP server on a free loopback port for the fault tests: started and stopped by the test (an SMTP
outage), optionally slow (``delay`` seconds before accepting each sender) or mute (accepts connections and
never answers: the worst case for a client). Records every message it accepted, with its Message-ID."""
import email
import socket
import socketserver
import threading
import time


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        server = self.server.owner
        if server.mute:
            server.stopped.wait(30)
            return
        self._say("220 test ESMTP")
        data_lines = None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_lines is not None:
                if line in (b".\r\n", b".\n"):
                    server.accept(b"".join(data_lines))
                    data_lines = None
                    self._say("250 OK")
                else:
                    data_lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self._say("250-test\r\n250 8BITMIME")
            elif verb == b"DATA":
                data_lines = []
                self._say("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self._say("221 Bye")
                return
            elif verb == b"MAIL":
                if server.delay:  # a slow server: the time goes before the message, not between it and the 250
                    time.sleep(server.delay)
                self._say("250 OK")
            else:  # HELO, RCPT, RSET, NOOP
                self._say("250 OK")

    def _say(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPServer:
    def __init__(self, port=None, *, delay=0, mute=False):
        self.port = port or free_port()
        self.delay, self.mute = delay, mute
        self.messages = []
        self._lock = threading.Lock()
        self._server = None
        self.stopped = threading.Event()

    def accept(self, raw):
        with self._lock:
            self.messages.append(email.message_from_bytes(raw))

    @property
    def message_ids(self):
        with self._lock:
            return [m["Message-ID"] for m in self.messages]

    def start(self):
        self.stopped.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.owner = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
