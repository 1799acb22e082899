package io.jwg.tests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A UDP relay between a client and a server, run by {@code python3} inside a network namespace:
 * it listens on {@code host:port}, forwards what the client (whoever sends first, other than the
 * server) sends to the server and the server's answers back, and records the client's datagrams.
 * The test can also have it send any datagram to the server, from the relay's own socket (the
 * client's address, as the server sees it) or from a second socket on another port. Closing
 * stops the relay; a JVM that dies first stops it from its shutdown hook.
 */
public final class UdpProxy implements AutoCloseable {
    private static final String SCRIPT = """
            import os, select, socket, sys
            host, port, server_host, server_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
            family = socket.AF_INET6 if ':' in host else socket.AF_INET
            relay = socket.socket(family, socket.SOCK_DGRAM)
            relay.bind((host, port))
            other = socket.socket(family, socket.SOCK_DGRAM)
            other.bind((host, 0))
            server = (server_host, server_port)
            client = None
            print('ready', flush=True)
            while True:
                readable, _, _ = select.select([relay, other, sys.stdin], [], [])
                for source in readable:
                    if source is sys.stdin:
                        line = sys.stdin.readline()
                        if not line:
                            sys.exit(0)
                        how, data = line.split()
                        (relay if how == 'S' else other).sendto(bytes.fromhex(data), server)
                        print('sent', flush=True)
                        continue
                    data, address = source.recvfrom(65535)
                    if source is other:
                        continue
                    if address[0] == server_host and address[1] == server_port:
                        if client is not None:
                            relay.sendto(data, client)
                    else:
                        client = address
                        print('C', data.hex(), flush=True)
                        relay.sendto(data, server)
            """;

    private final Process process;
    private final OutputStream commands;
    private final List<byte[]> fromClient = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<String> acks = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private final Runnable cleanup;

    private UdpProxy(Process process) {
        this.process = process;
        this.commands = process.getOutputStream();
        this.cleanup = ShutdownCleanup.register(process::destroyForcibly);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        this.reader = Thread.ofPlatform().daemon().name("udp-proxy").start(() -> read(out));
    }

    /** Starts a relay in {@code ns} on {@code host:port} toward {@code serverHost:serverPort}. */
    public static UdpProxy start(Netns ns, String host, int port, String serverHost, int serverPort) {
        List<String> command = ns.command("python3", "-u", "-c", SCRIPT, host, Integer.toString(port), serverHost,
                Integer.toString(serverPort));
        try {
            UdpProxy proxy = new UdpProxy(new ProcessBuilder(command).redirectErrorStream(true).start());
            return Setup.orClose(proxy, p -> p.awaitAcks(1, "the relay did not start"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read(BufferedReader out) {
        try {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("C ")) {
                    fromClient.add(HexFormat.of().parseHex(line.substring(2)));
                } else {
                    acks.add(line);
                }
            }
        } catch (IOException e) {
            acks.add("read failed: " + e);
        }
    }

    /** Every datagram the client sent through the relay so far, in order. */
    public List<byte[]> fromClient() {
        return List.copyOf(fromClient);
    }

    /** Sends {@code datagram} to the server from the relay's socket, the client's address as the server knows it. */
    public void sendAsClient(byte[] datagram) {
        send("S", datagram);
    }

    /** Sends {@code datagram} to the server from another port. */
    public void sendFromElsewhere(byte[] datagram) {
        send("E", datagram);
    }

    private void send(String how, byte[] datagram) {
        int before = acks.size();
        try {
            commands.write((how + " " + HexFormat.of().formatHex(datagram) + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitAcks(before + 1, "the relay did not send");
    }

    private void awaitAcks(int count, String what) {
        if (!Await.until(Duration.ofSeconds(10), () -> acks.size() >= count || !process.isAlive())
                || acks.size() < count) {
            throw new AssertionError(what + ": " + acks);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
            reader.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ShutdownCleanup.unregister(cleanup);
        }
    }
}
