# The file-upload server of the tutorials WITH THE TUTORIAL'S BUG (dialect `upload-md5`): it
# reads the client's MD5 with one recv(1024), as the tutorial does ("会黏包", it notes: it
# sticks), so an MD5 followed closely by the next upload's header is read together with it.
# The protocol: struct.pack('i', len(h)) +
# {"action": "put", "filename", "filesize"} + the file; it answers 200 once the file is in,
# reads the client's MD5 (32 hex digits) and answers 100 if it matches, else 10000.
# Usage: python3 upload_md5_server_md5_sticks.py PORT DIR   (the port is printed when ready)
import hashlib
import json
import os
import socketserver
import struct
import sys

PUT_DIR = sys.argv[2]


def recv_exactly(conn, n):
    """Exactly n bytes, however the network cuts them; None if the client left first."""
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class UploadHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        while True:
            file_info_length_pack = recv_exactly(conn, 4)
            if file_info_length_pack is None:
                break
            file_info_length = struct.unpack('i', file_info_length_pack)[0]
            file_info = json.loads(recv_exactly(conn, file_info_length).decode('utf8'))
            filename = os.path.basename(file_info.get('filename'))  # never a path from the network
            filesize = file_info.get('filesize')
            md5 = hashlib.md5()
            with open(os.path.join(PUT_DIR, filename), 'wb') as f:
                recv_data_length = 0
                while recv_data_length < filesize:
                    data = conn.recv(min(1024, filesize - recv_data_length))  # never past the body
                    if not data:
                        return
                    recv_data_length += len(data)
                    f.write(data)
                    md5.update(data)
            conn.sendall(b'200')
            client_md5 = conn.recv(1024)  # the bug: may hold the next header too
            if not client_md5:
                break
            if md5.hexdigest() == client_md5.decode('utf8'):
                conn.sendall(b'100')
            else:
                conn.sendall(b'10000')


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), UploadHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
