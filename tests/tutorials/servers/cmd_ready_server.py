# The "low" remote-command server of the tutorials (dialect `cmd-ready`): it sends the
# output's length in ASCII digits, waits for the client's `recv_ready`, then the output.
# Usage: python3 cmd_ready_server.py PORT   (0: any free port; the port is printed when ready)
import socketserver
import sys

from command_runner import run


def recv_exactly(conn, n):
    """Exactly n bytes, however the network cuts them; None if the client left first."""
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class CmdHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        while True:
            try:
                msg = conn.recv(1024)
                if not msg:
                    break
                ret = run(msg.decode('utf-8'))
                conn.send(str(len(ret)).encode('utf-8'))
                if recv_exactly(conn, len(b'recv_ready')) != b'recv_ready':
                    break
                conn.sendall(ret)
            except ConnectionResetError:
                break


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), CmdHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
