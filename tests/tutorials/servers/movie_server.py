# The movie-upload server of the tutorials (dialect `movie`): struct.pack('i', len(h)) +
# {"size", "filename"} + the file, several files per connection, no reply.
# Usage: python3 movie_server.py PORT DIR   (the port is printed when ready)
import json
import os
import socketserver
import struct
import sys

SERVER_DIR = sys.argv[2]
MAX_PACKET_SIZE = 1024


def recv_exactly(conn, n):
    """Exactly n bytes, however the network cuts them; None if the client left first."""
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class MovieHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.conn = self.request
        while True:
            head_struct = recv_exactly(self.conn, 4)
            if not head_struct:
                break
            head_len = struct.unpack('i', head_struct)[0]
            head_dic = json.loads(recv_exactly(self.conn, head_len).decode('utf-8'))
            if not self.put(head_dic):
                break

    def put(self, args):
        file_path = os.path.join(SERVER_DIR, os.path.basename(args['filename']))
        filesize = args['size']
        recv_size = 0
        with open(file_path, 'wb') as f:
            while recv_size < filesize:
                recv_data = self.conn.recv(min(MAX_PACKET_SIZE, filesize - recv_size))
                if not recv_data:
                    return False
                f.write(recv_data)
                recv_size += len(recv_data)
        return True


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), MovieHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
