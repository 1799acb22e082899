package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Fuzz target: arbitrary bytes as the request stream of one UAPI client, through the real
 * {@link UapiConnection} (operation lines, line splitting, {@link UapiSet} parsing and applying,
 * {@link UapiGet}) against a {@link TestDevice} over a real engine, with no socket in between.
 *
 * <p>Input: byte 0 sets how many bytes each read returns (1 to 256), so lines and operations
 * arrive split at every place; the rest is the stream. Seeds are real {@code wg} requests.
 *
 * <p>Checked: nothing escapes the connection (it logs a WARNING for a runtime exception, which
 * fails the target); the reply is a sequence of well-formed answers, each ending in
 * {@code errno=N} with one of wireguard-go's codes; and whatever state the device is left in,
 * its {@code get} output applied as a {@code set} to a fresh device gives the same {@code get}
 * output again (what {@code wg showconf | wg setconf} relies on).
 */
class UapiFuzzTest {
    private static final Set<String> ERRNOS = Set.of("0", "-5", "-22", "-71", "-98");
    private static final Set<String> READ_ONLY = Set.of("last_handshake_time_sec", "last_handshake_time_nsec",
            "tx_bytes", "rx_bytes");
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(10);
    /** WARNING records of the connection's logger: a runtime exception that reached its run(). */
    private static final List<LogRecord> WARNINGS = new CopyOnWriteArrayList<>();
    private static final Logger CONNECTION_LOG = Logger.getLogger(UapiConnection.class.getName());

    static {
        CONNECTION_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    WARNINGS.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    @FuzzTest
    void request(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int chunk = (input[0] & 0xff) + 1;
        TestDevice device = new TestDevice();
        String reply = serve(device, Arrays.copyOfRange(input, 1, input.length), chunk);
        checkReplies(reply);

        String config = get(device);
        TestDevice copy = new TestDevice();
        assertEquals("errno=0\n\n", serve(copy, setFrom(config), 256), "get output refused as set input:\n" + config);
        assertEquals(config, get(copy), "get | set | get changed the configuration");
    }

    private String serve(TestDevice device, byte[] stream, int chunk) {
        MemoryTransport transport = new MemoryTransport(stream, chunk);
        new UapiConnection(device, transport, TIMEOUT, TIMEOUT).run();
        if (!WARNINGS.isEmpty()) {
            LogRecord record = WARNINGS.getFirst();
            WARNINGS.clear();
            fail("an exception escaped the UAPI connection: " + record.getMessage(), record.getThrown());
        }
        return transport.written();
    }

    private static String get(TestDevice device) {
        StringBuilder out = new StringBuilder();
        UapiGet.format(device, out);
        return out.toString();
    }

    /** The get output as a set request: read-only counters dropped. */
    private static byte[] setFrom(String config) {
        StringBuilder set = new StringBuilder("set=1\n");
        for (String line : config.split("\n")) {
            if (!line.isEmpty() && !READ_ONLY.contains(line.substring(0, line.indexOf('=')))) {
                set.append(line).append('\n');
            }
        }
        return set.append('\n').toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Every answer is key=value lines (a get) ending in errno=N and a blank line. */
    private static void checkReplies(String reply) {
        if (reply.isEmpty()) {
            return;
        }
        assertTrue(reply.endsWith("\n\n"), "reply not terminated: " + reply);
        for (String answer : reply.substring(0, reply.length() - 2).split("\n\n", -1)) {
            String[] lines = answer.split("\n", -1);
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("errno=") && ERRNOS.contains(last.substring(6)), "bad answer: " + answer);
            for (int i = 0; i < lines.length - 1; i++) {
                assertTrue(lines[i].indexOf('=') > 0, "bad get line: " + lines[i]);
                assertEquals("errno=0", last, "a get answer with an error");
            }
        }
    }

    /** The client side of a connection in memory: reads return at most {@code chunk} bytes. */
    private static final class MemoryTransport implements UapiConnection.Transport {
        private final ByteBuffer in;
        private final int chunk;
        private final StringBuilder out = new StringBuilder();

        MemoryTransport(byte[] stream, int chunk) {
            this.in = ByteBuffer.wrap(stream);
            this.chunk = chunk;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!in.hasRemaining()) {
                return -1;
            }
            int n = Math.min(Math.min(chunk, in.remaining()), dst.remaining());
            dst.put(dst.position(), in, in.position(), n);
            dst.position(dst.position() + n);
            in.position(in.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            out.append(StandardCharsets.ISO_8859_1.decode(src));
            return n;
        }

        @Override
        public void close() {
        }

        String written() {
            return out.toString();
        }
    }
}
