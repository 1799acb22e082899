package io.jwg.daemon.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A minimal UAPI client: one {@code get=1} or {@code set=1} operation per connection, like wg. */
final class UapiClient {
    private UapiClient() {
    }

    /** Sends {@code request} (lines, ending in a blank line) and returns the reply up to the blank line. */
    static String exchange(Path socket, String request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (channel.read(in) >= 0) {
                in.flip();
                reply.write(in.array(), 0, in.limit());
                in.clear();
                String text = reply.toString(StandardCharsets.UTF_8);
                if (text.endsWith("\n\n")) {
                    return text;
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /** Applies {@code lines} with {@code set=1}; throws unless the reply is {@code errno=0}. */
    static void set(Path socket, String lines) throws IOException {
        String reply = exchange(socket, "set=1\n" + lines + "\n");
        if (!reply.startsWith("errno=0\n")) {
            throw new IOException("UAPI set failed: " + reply.strip());
        }
    }

    /** The {@code get=1} reply. */
    static String get(Path socket) throws IOException {
        return exchange(socket, "get=1\n\n");
    }
}
