package io.jwg.core.tunnel;

/** What the I/O layer must do after the engine processed a packet. */
public enum Verdict {
    /** Send the output buffer as one UDP datagram to the peer (or back to the source). */
    WRITE_TO_NETWORK,
    /** Write the output buffer, an IP packet, to the TUN device. */
    WRITE_TO_TUNNEL,
    /** Nothing to emit. */
    DONE,
    /** The input was dropped; the reason was counted. */
    DROP
}
