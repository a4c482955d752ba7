# The echo client of the socket tutorials: bare text out, print what comes back.
# Usage: python3 echo.py HOST:PORT   (one message per line of standard input)
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
client = socket.socket()
client.connect((host, int(port)))
while True:
    try:
        msg = input('>>: ').strip()
    except EOFError:
        break
    if not msg:
        continue
    client.send(msg.encode('utf-8'))
    data = client.recv(1024)
    print('from server msg is', data.decode('utf-8'))
client.close()
