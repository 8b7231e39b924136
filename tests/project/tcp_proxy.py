"""A loopback TCP forwarder that a test can cut and restore: a server going down and back.

    with TcpProxy(3306) as proxy:          # the app connects to proxy.port
        proxy.down()                       # open connections reset, new ones refused
        proxy.up()                         # the same port answers again

Down is what a client sees when a server's host is gone: every connection it
holds breaks and a new one is refused; the server itself is untouched.
"""

import contextlib
import socket
import threading

from .gunicorn_support import free_port


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()

    def up(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _close(sock)

    def _accept(self, listener):
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by down()
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            return
        finally:
            _close(source)
            _close(sink)


def _close(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class SilentServer:
    """Accepts connections and never answers: a hung server, or packets dropped on the way."""

    def __init__(self):
        self.port = free_port()
        self._listener = socket.socket()
        self._held = []

    def __enter__(self):
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        listener, self._listener = self._listener, None
        listener.close()
        for sock in self._held:
            _close(sock)

    def _accept(self):
        while (listener := self._listener) is not None:
            try:
                self._held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return
