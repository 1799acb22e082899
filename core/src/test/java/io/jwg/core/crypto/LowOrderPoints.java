package io.jwg.core.crypto;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Curve25519 u-coordinates of small order, the seven of libsodium's blocklist (as listed on
 * cr.yp.to/ecdh.html): 0, 1, the two points of order 8, and p-1, p, p+1 (non-canonical
 * encodings of order-2, order-1 and order-4 points). Any scalar maps each to the all-zero
 * shared secret, which WireGuard must refuse.
 */
public final class LowOrderPoints {
    private static final String[] HEX = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };

    private LowOrderPoints() {
    }

    /**
     * The seven points, each also with bit 255 set: RFC 7748 masks that bit, so those encodings
     * are the same points (fourteen encodings in all).
     */
    public static List<byte[]> all() {
        List<byte[]> points = new ArrayList<>();
        for (String hex : HEX) {
            byte[] u = HexFormat.of().parseHex(hex);
            points.add(u);
            byte[] high = u.clone();
            high[31] |= (byte) 0x80;
            points.add(high);
        }
        return points;
    }
}
