# The UDP client of the socket tutorials: one datagram of bare text out, one datagram
# back, upper-cased.
# Usage: python3 udp_upper.py HOST:PORT   (one message per line of standard input)
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
ip_port = (host, int(port))
BUFSIZE = 1024
udp_server_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server_client.settimeout(10)
while True:
    try:
        msg = input('>>:').strip()
    except EOFError:
        break
    if not msg:
        continue
    udp_server_client.sendto(msg.encode('utf-8'), ip_port)
    back_msg, addr = udp_server_client.recvfrom(BUFSIZE)
    print(back_msg.decode('utf-8'), addr)
udp_server_client.close()
