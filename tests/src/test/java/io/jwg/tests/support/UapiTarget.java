package io.jwg.tests.support;

import java.nio.file.Path;

/**
 * Something that answers the UAPI on {@code /var/run/wireguard/IFNAME.sock}: wireguard-go, jwg
 * in process ({@link InProcessJwg}) and, once the daemon exists, a {@code bin/jwg -f IFNAME}
 * process. Differential tests drive two of them with the same commands.
 */
public interface UapiTarget extends AutoCloseable {
    /** The interface name, as {@code wg} is given it. */
    String ifname();

    /** The UAPI socket. */
    default Path socket() {
        return WireGuardGo.SOCKET_DIR.resolve(ifname() + ".sock");
    }

    /** Binds {@code port} (UDP, both families) in the target's network namespace, to make it busy. */
    AutoCloseable occupyPort(int port);

    @Override
    void close();

    /** wireguard-go as a target: {@code wg} reaches it through its socket from any namespace. */
    static UapiTarget of(WireGuardGo wireGuardGo) {
        return new UapiTarget() {
            @Override
            public String ifname() {
                return wireGuardGo.ifname();
            }

            @Override
            public AutoCloseable occupyPort(int port) {
                // A sleeping python holds the port inside the namespace until killed.
                Process process;
                try {
                    process = new ProcessBuilder(wireGuardGo.netns().command("python3", "-c",
                            "import socket,time,sys\n"
                            + "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
                            + "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
                            + "s.bind(('::'," + port + "))\nprint('ok',flush=True)\ntime.sleep(600)"))
                            .redirectErrorStream(true).start();
                    String ready = new String(process.getInputStream().readNBytes(3), java.nio.charset.StandardCharsets.US_ASCII);
                    if (!ready.equals("ok\n")) {
                        process.destroyForcibly();
                        throw new IllegalStateException("cannot occupy port " + port + ": " + ready);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return () -> {
                    process.destroyForcibly();
                    process.waitFor();
                };
            }

            @Override
            public void close() {
                wireGuardGo.close();
            }

            @Override
            public String toString() {
                return wireGuardGo.toString();
            }
        };
    }
}
