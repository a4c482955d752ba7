# The echo server of the tutorials (dialect `echo-upper`): whatever arrives goes back upper-cased.
# Usage: python3 echo_upper_server.py PORT   (0: any free port; the port is printed when ready)
import socket
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        while True:
            try:
                data = conn.recv(1024)
            except ConnectionResetError:
                break
            if not data:  # the client closed the connection
                break
            conn.sendall(data.upper())


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), EchoHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
