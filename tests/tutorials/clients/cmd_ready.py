# The remote-command client of the socket tutorials' "low" fix: the command as bare text
# out; back comes N in ASCII digits; the client answers recv_ready; then N bytes of output.
# Usage: python3 cmd_ready.py HOST:PORT   (one command per line of standard input)
import socket, time
import sys

host, port = sys.argv[1].rsplit(':', 1)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
res = s.connect_ex((host, int(port)))

while True:
    try:
        msg = input('>>: ').strip()
    except EOFError:
        break
    if len(msg) == 0: continue
    if msg == 'quit': break

    s.send(msg.encode('utf-8'))
    length = int(s.recv(1024).decode('utf-8'))
    s.send('recv_ready'.encode('utf-8'))
    send_size = 0
    recv_size = 0
    data = b''
    while recv_size < length:
        data += s.recv(1024)
        recv_size = len(data)  # the tutorial adds len(data), the whole buffer: a slip

    print(data.decode('utf-8'))
s.close()
