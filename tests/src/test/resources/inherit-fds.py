# Starts a daemon the way a supervisor that pre-opens its files would: creates the TUN device
# IFNAME and the listening UAPI socket /var/run/wireguard/IFNAME.sock itself, then execs
#   COMMAND... with WG_TUN_FD and WG_UAPI_FD naming the inherited descriptors.
# Usage: python3 inherit-fds.py IFNAME COMMAND...
import fcntl, os, socket, struct, sys

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000

ifname, command = sys.argv[1], sys.argv[2:]
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TUN | IFF_NO_PI))
os.makedirs("/var/run/wireguard", mode=0o755, exist_ok=True)
path = "/var/run/wireguard/%s.sock" % ifname
if os.path.exists(path):
    os.unlink(path)
old = os.umask(0o077)
uapi = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
uapi.bind(path)
os.umask(old)
uapi.listen(16)
os.set_inheritable(tun, True)
os.set_inheritable(uapi.fileno(), True)
env = dict(os.environ, WG_TUN_FD=str(tun), WG_UAPI_FD=str(uapi.fileno()))
os.execvpe(command[0], command, env)
