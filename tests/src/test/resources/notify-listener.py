# Plays systemd's side of sd_notify(3): binds a Unix datagram socket (a path, or @NAME in the
# abstract namespace of the current network namespace) and prints one line per datagram:
#   <message with newlines as \n> TAB <whether UAPI-SOCKET accepted a connection when it arrived>
# It prints "bound" first, once the socket exists. Usage: python3 notify-listener.py ADDRESS UAPI-SOCKET
import socket, sys

address, uapi = sys.argv[1], sys.argv[2]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind("\0" + address[1:] if address.startswith("@") else address)
print("bound", flush=True)


def listening(path):
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        return "listening"
    except OSError:
        return "absent"
    finally:
        probe.close()


while True:
    message = listener.recv(4096).decode()
    print(message.replace("\n", "\\n") + "\t" + listening(uapi), flush=True)
