package io.jwg.core.routing;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Cryptokey routing table: maps IPv4 and IPv6 prefixes to peers and answers longest-prefix-match
 * lookups, with the semantics of wireguard-go's {@code device/allowedips.go}.
 *
 * <ul>
 *   <li>Outbound, the destination address of a packet from the TUN picks the peer; inbound, the
 *       source address of a decrypted packet must map back to the peer it came from.
 *   <li>Inserting a prefix that is already present moves it to the new owner. Host bits are ignored.
 *   <li>Each peer keeps its prefixes in insertion order, IPv4 and IPv6 mixed, and re-inserting a
 *       prefix (to a new owner or to the same one) moves it to the end of the owner's list. That is
 *       the order {@code wg show} lists allowed IPs in, so {@link #prefixes} reproduces it.
 *   <li>Peers are compared by identity, as wireguard-go compares {@code *Peer} pointers.
 * </ul>
 *
 * <p>Concurrency: mutations ({@code insert}, {@code remove}, {@code removeAll}) and
 * {@link #prefixes} are {@code synchronized}; lookups take no lock and allocate nothing (apart from
 * the {@link InetAddress} convenience form), so data-path threads may look up while the control
 * path writes. Each single insert or remove becomes visible to readers atomically; a multi-prefix
 * change such as {@code removeAll} is not one atomic step for readers (wireguard-go's UAPI updates
 * are not either). See {@link PrefixTrie} for why a lock-free reader always sees a valid trie.
 *
 * @param <T> the peer type
 */
public final class AllowedIps<T> {

    private final PrefixTrie<T> ipv4 = new PrefixTrie<>(false);
    private final PrefixTrie<T> ipv6 = new PrefixTrie<>(true);
    /** Each peer's entries as an intrusive list through the trie nodes, oldest first. */
    private final Map<T, OwnerList<T>> owners = new IdentityHashMap<>();
    private volatile int size;

    /** Creates an empty table. */
    public AllowedIps() {
    }

    /**
     * Routes {@code prefix} to {@code peer}, taking it from any previous owner and putting it last
     * in {@code peer}'s list.
     */
    public synchronized void insert(IpPrefix prefix, T peer) {
        Objects.requireNonNull(peer, "peer");
        PrefixTrie<T> trie = trie(prefix);
        long hi = prefix.high64();
        long lo = prefix.low64();
        PrefixTrie.Node<T> node = trie.find(hi, lo, prefix.bits());
        if (node == null) {
            node = trie.insert(hi, lo, prefix.bits(), peer);
            size++;
        } else {
            T previous = node.owner;
            if (previous != null) {
                unlink(previous, node);
            } else {
                size++; // a glue node becomes a real entry
            }
            node.owner = peer;
        }
        append(peer, node);
    }

    /**
     * Removes {@code prefix} if, and only if, {@code peer} owns exactly that prefix now.
     *
     * @return whether anything was removed
     */
    public synchronized boolean remove(IpPrefix prefix, T peer) {
        PrefixTrie<T> trie = trie(prefix);
        PrefixTrie.Node<T> node = trie.find(prefix.high64(), prefix.low64(), prefix.bits());
        if (node == null || peer == null || node.owner != peer) {
            return false;
        }
        unlink(peer, node);
        trie.remove(node);
        size--;
        return true;
    }

    /** Removes every prefix owned by {@code peer}. */
    public synchronized void removeAll(T peer) {
        OwnerList<T> list = owners.remove(peer);
        if (list == null) {
            return;
        }
        for (PrefixTrie.Node<T> node = list.head; node != null; ) {
            PrefixTrie.Node<T> next = node.ownerNext;
            node.ownerPrev = null;
            node.ownerNext = null;
            (node.ipv6 ? ipv6 : ipv4).remove(node);
            size--;
            node = next;
        }
    }

    /** The peer whose longest prefix contains {@code address}, or null. Allocates (address bytes). */
    public T lookup(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return lookupIpv4((int) read(b, 0, 4));
        }
        return ipv6.lookup(read(b, 0, 8), read(b, 8, 8));
    }

    /** The peer for an IPv4 address (network order as an int), or null. Allocation-free. */
    public T lookupIpv4(int address) {
        return ipv4.lookup((long) address << 32, 0L);
    }

    /**
     * The peer for the address stored at absolute index {@code offset} of {@code buf}: 4 bytes for
     * IPv4, 16 for IPv6, in network order whatever the buffer's byte order. Allocation-free; the
     * buffer's position and limit are not touched. Meant for reading a packet's source or
     * destination address in place.
     */
    public T lookup(ByteBuffer buf, int offset, boolean ipv6Address) {
        boolean swap = buf.order() != ByteOrder.BIG_ENDIAN;
        if (!ipv6Address) {
            int a = buf.getInt(offset);
            return lookupIpv4(swap ? Integer.reverseBytes(a) : a);
        }
        long hi = buf.getLong(offset);
        long lo = buf.getLong(offset + 8);
        return swap ? ipv6.lookup(Long.reverseBytes(hi), Long.reverseBytes(lo)) : ipv6.lookup(hi, lo);
    }

    /** {@code peer}'s prefixes in wireguard-go's order (see the class comment); empty if none. */
    public synchronized List<IpPrefix> prefixes(T peer) {
        OwnerList<T> list = owners.get(peer);
        if (list == null) {
            return List.of();
        }
        List<IpPrefix> result = new ArrayList<>();
        for (PrefixTrie.Node<T> node = list.head; node != null; node = node.ownerNext) {
            result.add(IpPrefix.fromBits(node.hi, node.lo, node.bits, node.ipv6));
        }
        return Collections.unmodifiableList(result);
    }

    /** Number of prefixes in the table, both families. */
    public int size() {
        return size;
    }

    /** Trie nodes in use, glue included; lets tests check that churn does not grow memory. */
    synchronized int nodeCount() {
        return ipv4.nodeCount() + ipv6.nodeCount();
    }

    private PrefixTrie<T> trie(IpPrefix prefix) {
        return prefix.isIpv6() ? ipv6 : ipv4;
    }

    private void append(T peer, PrefixTrie.Node<T> node) {
        OwnerList<T> list = owners.computeIfAbsent(peer, p -> new OwnerList<>());
        node.ownerPrev = list.tail;
        node.ownerNext = null;
        if (list.tail == null) {
            list.head = node;
        } else {
            list.tail.ownerNext = node;
        }
        list.tail = node;
    }

    private void unlink(T peer, PrefixTrie.Node<T> node) {
        OwnerList<T> list = owners.get(peer);
        if (node.ownerPrev == null) {
            list.head = node.ownerNext;
        } else {
            node.ownerPrev.ownerNext = node.ownerNext;
        }
        if (node.ownerNext == null) {
            list.tail = node.ownerPrev;
        } else {
            node.ownerNext.ownerPrev = node.ownerPrev;
        }
        node.ownerPrev = null;
        node.ownerNext = null;
        if (list.head == null) {
            owners.remove(peer); // no per-peer garbage once a peer owns nothing
        }
    }

    private static long read(byte[] b, int offset, int length) {
        long v = 0;
        for (int i = 0; i < length; i++) {
            v = (v << 8) | (b[offset + i] & 0xFF);
        }
        return v;
    }

    /** Head and tail of one owner's entry list. */
    private static final class OwnerList<T> {
        PrefixTrie.Node<T> head;
        PrefixTrie.Node<T> tail;
    }
}
