# The upload client of the socket tutorials with an MD5 check: struct.pack('i', len(h)) +
# h, h = {"action": "put", "filename", "filesize"}, then the file; the server answers 200;
# the client sends the MD5 in hex; the server answers 100 (stored) or an error code.
# Usage: python3 upload_md5.py HOST:PORT   (lines "put FILE" on standard input)
import socket
import os
import json
import struct
import hashlib
import sys

host, port = sys.argv[1].rsplit(':', 1)
sock = socket.socket()
sock.connect((host, int(port)))
while True:
    try:
        cmd = input("command: ")
    except EOFError:
        break
    if cmd == 'exit':
        break
    action, filename = cmd.strip().split(" ")
    filesize = os.path.getsize(filename)
    if action == 'put':
        file_info = {
            "action": action,
            "filename": filename,
            "filesize": filesize,
        }
        file_info_json = json.dumps(file_info).encode('utf8')
        ret = struct.pack('i', len(file_info_json))
        sock.send(ret)
        sock.send(file_info_json)
        md5 = hashlib.md5()
        with open(filename, 'rb') as f:
            for line in f:
                sock.sendall(line)
                md5.update(line)
        data = sock.recv(1024).decode('utf8')
        if data == '200':
            md5_val = md5.hexdigest()
            sock.send(md5_val.encode('utf8'))
            valid = sock.recv(1024).decode('utf8')
            if valid == '100':
                print('upload succeeded')  # 文件上传成功
            else:
                print('upload failed!', valid)  # 文件上传失败!
        else:
            print('server error!', data)  # 服务器出错了!
    else:
        print('please give a proper command')
sock.close()
