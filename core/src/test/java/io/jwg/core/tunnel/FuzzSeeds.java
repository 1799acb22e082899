package io.jwg.core.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed corpora of the packet fuzz targets, made from the genuine messages of
 * {@link FuzzSession}: each seed is a target's input (its flag byte, then the message). They are
 * committed under {@code src/test/resources/io/jwg/core/tunnel/<Target>Inputs/<method>/};
 * {@link FuzzSeedsTest} checks that they are still exactly what the fixture produces and
 * rewrites them when asked to after a change to the protocol code or the fixture.
 */
final class FuzzSeeds {
    private FuzzSeeds() {
    }

    /** Seed files by path relative to the package's resource directory. */
    static Map<String, byte[]> all() {
        FuzzSession s = new FuzzSession();
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        String dispatch = "DispatchFuzzTestInputs/decapsulate/";
        seeds.put(dispatch + "initiation-from-b", input(0, s.initiationFromB));
        seeds.put(dispatch + "initiation-from-b-under-load", input(1, s.initiationFromB));
        seeds.put(dispatch + "initiation-from-a", input(0, s.initiationFromA));
        seeds.put(dispatch + "response-to-a", input(0, s.responseToA));
        seeds.put(dispatch + "cookie-reply-to-a", input(0, s.cookieReplyToA));
        seeds.put(dispatch + "transport-to-a", input(0, s.transportToA));
        seeds.put(dispatch + "keepalive-to-a-roaming", input(2, s.keepaliveToA));

        String handshake = "HandshakeFuzzTestInputs/consume/";
        seeds.put(handshake + "initiation-from-b", input(0, 0, s.initiationFromB));
        seeds.put(handshake + "initiation-from-b-under-load-ipv6", input(4, 1, s.initiationFromB));
        seeds.put(handshake + "response-to-a", input(1, 2, s.responseToA));
        seeds.put(handshake + "response-to-a-under-load", input(5, 2, s.responseToA));
        seeds.put(handshake + "cookie-reply-to-a", input(2, 2, s.cookieReplyToA));
        seeds.put(handshake + "cookie-reply-to-keypair-index", input(10, 2, s.cookieReplyToA));

        String transport = "TransportFuzzTestInputs/receive/";
        byte[] afterTypeWord = java.util.Arrays.copyOfRange(s.transportToA, 4, s.transportToA.length);
        seeds.put(transport + "forged-from-genuine", input(0, afterTypeWord));
        seeds.put(transport + "forged-from-genuine-split", input(2, afterTypeWord));
        seeds.put(transport + "ipv4-from-peer", authentic(1, 5, FuzzSession.ipv4(0x0a000002, 0x0a000001, 12)));
        seeds.put(transport + "ipv4-from-peer-split", authentic(3, 6, FuzzSession.ipv4(0x0a000002, 0x0a000001, 40)));
        seeds.put(transport + "ipv4-spoofed-source", authentic(1, 7, FuzzSession.ipv4(0x0a000009, 0x0a000001, 12)));
        seeds.put(transport + "ipv6", authentic(1, 8, ipv6()));
        seeds.put(transport + "keepalive", authentic(3, 9, new byte[0]));
        return seeds;
    }

    private static byte[] input(int flags, byte[] message) {
        byte[] input = new byte[1 + message.length];
        input[0] = (byte) flags;
        System.arraycopy(message, 0, input, 1, message.length);
        return input;
    }

    private static byte[] input(int flags, int source, byte[] message) {
        byte[] input = new byte[2 + message.length];
        input[0] = (byte) flags;
        input[1] = (byte) source;
        System.arraycopy(message, 0, input, 2, message.length);
        return input;
    }

    private static byte[] authentic(int flags, long counter, byte[] plaintext) {
        ByteBuffer input = ByteBuffer.allocate(9 + plaintext.length).order(ByteOrder.LITTLE_ENDIAN);
        input.put((byte) flags).putLong(counter).put(plaintext);
        return input.array();
    }

    private static byte[] ipv6() {
        byte[] p = new byte[48];
        p[0] = 0x60;
        p[5] = 8; // payload length
        p[6] = 17;
        p[7] = 64;
        p[8] = (byte) 0xfd;
        p[23] = 2;
        p[24] = (byte) 0xfd;
        p[39] = 1;
        return p;
    }

    /** Writes the seeds under {@code <module>/src/test/resources}. */
    static void write(Path module) throws IOException {
        Path base = module.resolve("src/test/resources/io/jwg/core/tunnel");
        for (Map.Entry<String, byte[]> seed : all().entrySet()) {
            Path file = base.resolve(seed.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, seed.getValue());
        }
    }
}
