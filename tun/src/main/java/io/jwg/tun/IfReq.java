package io.jwg.tun;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@code struct ifreq} (40 bytes on 64-bit Linux) as the TUN and interface ioctls use it:
 *
 * <pre>
 *   0                  16                 20            40
 *   | ifr_name[IFNAMSIZ] | ifr_flags (short) / ifr_mtu (int) | rest of the union |
 * </pre>
 * Not on the packet path: each ioctl makes a fresh one.
 */
final class IfReq {
    /** IFNAMSIZ, including the terminating NUL: names have at most 15 bytes. */
    static final int IFNAMSIZ = 16;
    static final int SIZE = 40;
    static final int NAME_OFFSET = 0;
    static final int UNION_OFFSET = IFNAMSIZ;

    final Memory memory = new Memory(SIZE);

    IfReq() {
        memory.clear();
    }

    /** An ifreq naming {@code name}, which must already be {@link #validateName validated}. */
    static IfReq named(String name) {
        IfReq request = new IfReq();
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        request.memory.write(NAME_OFFSET, bytes, 0, bytes.length);
        return request;
    }

    String name() {
        byte[] bytes = memory.getByteArray(NAME_OFFSET, IFNAMSIZ);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    short flags() {
        return memory.getShort(UNION_OFFSET);
    }

    IfReq flags(int flags) {
        memory.setShort(UNION_OFFSET, (short) flags);
        return this;
    }

    int intValue() {
        return memory.getInt(UNION_OFFSET);
    }

    IfReq intValue(int value) {
        memory.setInt(UNION_OFFSET, value);
        return this;
    }

    /**
     * Checks an interface name the way the kernel's {@code dev_valid_name} would, but with
     * messages a user can act on. Returns the name unchanged.
     */
    static String validateName(String name) throws IOException {
        if (name == null || name.isEmpty()) {
            throw new IOException("interface name is empty");
        }
        int length = name.getBytes(StandardCharsets.UTF_8).length;
        if (length >= IFNAMSIZ) {
            throw new IOException("interface name too long: \"" + name + "\" has " + length
                    + " bytes, at most " + (IFNAMSIZ - 1) + " allowed");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IOException("interface name \"" + name + "\" is not allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IOException("interface name \"" + name + "\" contains an invalid character "
                        + (Character.isISOControl(c) || Character.isWhitespace(c) ? String.format("U+%04X", (int) c)
                                : "'" + c + "'"));
            }
        }
        return name;
    }
}
