package io.jwg.core.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Classification by type word and size, checked exhaustively and against a naive oracle. */
class MessageTypeTest {
    private static final int MAX_SIZE = 300;

    private static ByteBuffer message(int type, int size) {
        ByteBuffer buf = ByteBuffer.allocate(size);
        if (size > 0) {
            buf.put(0, (byte) type);
        }
        return buf;
    }

    /** What the whitepaper says, written as plainly as possible. */
    private static MessageType oracle(byte[] data, int off, int length) {
        if (length < 4 || data[off + 1] != 0 || data[off + 2] != 0 || data[off + 3] != 0) {
            return MessageType.INVALID;
        }
        int type = data[off] & 0xff;
        if (type == 1 && length == 148) {
            return MessageType.INITIATION;
        }
        if (type == 2 && length == 92) {
            return MessageType.RESPONSE;
        }
        if (type == 3 && length == 64) {
            return MessageType.COOKIE_REPLY;
        }
        if (type == 4 && length >= 32) {
            return MessageType.TRANSPORT;
        }
        return MessageType.INVALID;
    }

    @Test
    void shouldClassifyExactSizes() {
        assertEquals(MessageType.INITIATION, MessageType.classify(message(1, 148)));
        assertEquals(MessageType.RESPONSE, MessageType.classify(message(2, 92)));
        assertEquals(MessageType.COOKIE_REPLY, MessageType.classify(message(3, 64)));
        for (int size : new int[] {32, 33, 48, 148, 1452, 65535}) {
            assertEquals(MessageType.TRANSPORT, MessageType.classify(message(4, size)), "size " + size);
        }
        assertEquals(148, HandshakeInitiation.SIZE);
        assertEquals(92, HandshakeResponse.SIZE);
        assertEquals(64, CookieReply.SIZE);
        assertEquals(32, Transport.MIN_SIZE);
    }

    @Test
    void shouldRejectEveryOtherSize() {
        int[] exact = {0, 148, 92, 64};
        for (int type = 1; type <= 3; type++) {
            for (int size = 0; size <= MAX_SIZE; size++) {
                if (size != exact[type]) {
                    assertEquals(MessageType.INVALID, MessageType.classify(message(type, size)), "type " + type + " size " + size);
                }
            }
        }
        for (int size = 0; size < 32; size++) {
            assertEquals(MessageType.INVALID, MessageType.classify(message(4, size)), "transport size " + size);
        }
    }

    @Test
    void shouldRejectNonZeroReservedBytes() {
        int[] sizes = {0, 148, 92, 64, 32};
        for (int type = 1; type <= 4; type++) {
            for (int reserved = 1; reserved <= 3; reserved++) {
                for (int value = 1; value <= 255; value++) {
                    ByteBuffer buf = message(type, sizes[type]);
                    buf.put(reserved, (byte) value);
                    assertEquals(MessageType.INVALID, MessageType.classify(buf),
                            "type " + type + " reserved byte " + reserved + " = " + value);
                }
            }
        }
    }

    @Test
    void shouldRejectUnknownTypes() {
        for (int type : new int[] {0, 5, 6, 0x7f, 0x80, 0x81, 0xff}) {
            for (int size : new int[] {4, 32, 64, 92, 148, 200}) {
                assertEquals(MessageType.INVALID, MessageType.classify(message(type, size)), "type " + type + " size " + size);
            }
        }
        for (int type = 5; type <= 255; type++) {
            assertEquals(MessageType.INVALID, MessageType.classify(message(type, 148)));
        }
    }

    @Test
    void shouldRejectBuffersShorterThanTheTypeWord() {
        for (int size = 0; size < 4; size++) {
            for (int type = 0; type <= 4; type++) {
                assertEquals(MessageType.INVALID, MessageType.classify(message(type, size)));
                assertEquals(MessageType.INVALID, MessageType.classify(new byte[] {(byte) type, 0, 0, 0}, size));
            }
        }
    }

    @Test
    void shouldClassifyBetweenPositionAndLimitWithoutMovingThem() {
        // An initiation in the middle of a larger buffer: bytes around it must not count.
        ByteBuffer buf = ByteBuffer.allocate(400);
        buf.put(10, (byte) 1);
        buf.position(10).limit(10 + 148);
        assertEquals(MessageType.INITIATION, MessageType.classify(buf));
        assertEquals(10, buf.position());
        assertEquals(158, buf.limit());
        buf.limit(10 + 149);
        assertEquals(MessageType.INVALID, MessageType.classify(buf));
        assertEquals(10, buf.position());
        assertEquals(159, buf.limit());
        // The type word is read at the position, not at index 0.
        buf.put(0, (byte) 2);
        buf.position(0).limit(92);
        assertEquals(MessageType.RESPONSE, MessageType.classify(buf));
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        direct.put(0, (byte) 3);
        assertEquals(MessageType.COOKIE_REPLY, MessageType.classify(direct));
        assertEquals(0, direct.position());
        assertEquals(64, direct.limit());
    }

    @Test
    void shouldClassifyArrayPrefix() {
        byte[] data = new byte[200];
        data[0] = 2;
        assertEquals(MessageType.RESPONSE, MessageType.classify(data, 92));
        assertEquals(MessageType.INVALID, MessageType.classify(data, 200));
    }

    @Test
    void shouldWriteTheTypeWord() {
        for (MessageType type : new MessageType[] {MessageType.INITIATION, MessageType.RESPONSE,
                MessageType.COOKIE_REPLY, MessageType.TRANSPORT}) {
            byte[] out = {9, 9, 9, 9, 9, 9};
            type.write(out, 1);
            assertEquals(9, out[0]);
            assertEquals(type.wireValue, out[1]);
            assertEquals(0, out[2] | out[3] | out[4]);
            assertEquals(9, out[5]);
        }
    }

    @Test
    void shouldMatchOracleOnRandomBuffers() {
        SplittableRandom random = new SplittableRandom(0x5eed);
        byte[] backing = new byte[256];
        for (int i = 0; i < 100_000; i++) {
            int length = random.nextInt(8) == 0
                    ? new int[] {148, 92, 64, 32}[random.nextInt(4)] // exact sizes often
                    : random.nextInt(0, 201);
            int offset = random.nextInt(0, 256 - length);
            random.nextBytes(backing);
            if (length > 0 && random.nextInt(4) != 0) {
                backing[offset] = (byte) random.nextInt(1, 5); // biased toward real types
            }
            if (length >= 4 && random.nextInt(4) != 0) {
                backing[offset + 1] = 0;
                backing[offset + 2] = 0;
                backing[offset + 3] = 0;
            }
            ByteBuffer buf = random.nextBoolean()
                    ? ByteBuffer.wrap(backing)
                    : ByteBuffer.allocateDirect(backing.length).put(backing).clear();
            buf.position(offset).limit(offset + length);
            MessageType got = MessageType.classify(buf);
            assertEquals(oracle(backing, offset, length), got, "iteration " + i);
            assertEquals(offset, buf.position());
            assertEquals(offset + length, buf.limit());
        }
    }
}
