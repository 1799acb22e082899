package io.jwg.core.routing;

/**
 * Path-compressed binary trie for one address family, the structure behind {@link AllowedIps}.
 *
 * <p>Keys are 128 bits in two longs, most significant bit first; IPv4 uses the top 32 bits of
 * {@code hi}. Every node stores its (masked) prefix and length, so a lookup descends by testing
 * the key bit at the node's length and never backtracks. Nodes without an owner ("glue") exist
 * only where two subtrees branch and always have two children; owned nodes have zero to two.
 * That bounds the node count by {@code 2 * prefixes - 1} whatever the insert/remove history.
 *
 * <p>Concurrency, RCU style: one writer at a time (the owning {@link AllowedIps} synchronises),
 * readers never lock. A writer fully builds every new node before publishing it with a single
 * volatile store into a child slot or the root, and removal only ever replaces one slot by a
 * subtree that was already reachable below it. A reader therefore always walks a valid path, seeing
 * each slot either before or after a change. Removed nodes are left intact (not cleared) because a
 * reader may still be standing on one; the garbage collector reclaims them.
 */
final class PrefixTrie<T> {

    /** One trie node; key fields are final, links that readers follow are volatile. */
    static final class Node<T> {
        final long hi;
        final long lo;
        final long maskHi;
        final long maskLo;
        final int bits;
        final boolean ipv6;
        volatile T owner;
        volatile Node<T> child0;
        volatile Node<T> child1;
        /** Writer-only: the node whose child slot holds this one, null at the root. */
        Node<T> parent;
        /** Writer-only: the owner's entries in insertion order (see {@link AllowedIps}). */
        Node<T> ownerPrev;
        Node<T> ownerNext;

        Node(long hi, long lo, int bits, boolean ipv6, T owner) {
            this.maskHi = bits == 0 ? 0L : bits >= 64 ? -1L : -1L << (64 - bits);
            this.maskLo = bits <= 64 ? 0L : -1L << (128 - bits);
            this.hi = hi & maskHi;
            this.lo = lo & maskLo;
            this.bits = bits;
            this.ipv6 = ipv6;
            this.owner = owner;
        }

        boolean covers(long keyHi, long keyLo) {
            return ((keyHi ^ hi) & maskHi) == 0 && ((keyLo ^ lo) & maskLo) == 0;
        }

        Node<T> child(int bit) {
            return bit == 0 ? child0 : child1;
        }

        void setChild(int bit, Node<T> child) {
            if (bit == 0) {
                child0 = child;
            } else {
                child1 = child;
            }
        }
    }

    private final int maxBits;
    private final boolean ipv6;
    private volatile Node<T> root;

    PrefixTrie(boolean ipv6) {
        this.ipv6 = ipv6;
        this.maxBits = ipv6 ? 128 : 32;
    }

    /** Longest-prefix match; lock-free and allocation-free. */
    T lookup(long hi, long lo) {
        T found = null;
        Node<T> node = root;
        while (node != null && node.covers(hi, lo)) {
            T owner = node.owner;
            if (owner != null) {
                found = owner;
            }
            if (node.bits == maxBits) {
                break;
            }
            node = bitAt(hi, lo, node.bits) == 0 ? node.child0 : node.child1;
        }
        return found;
    }

    /** The node holding exactly this prefix (owned or glue), or null. Writer or reader. */
    Node<T> find(long hi, long lo, int bits) {
        Node<T> node = root;
        while (node != null && node.bits <= bits && node.covers(hi, lo)) {
            if (node.bits == bits) {
                return node;
            }
            node = node.child(bitAt(hi, lo, node.bits));
        }
        return null;
    }

    /** Adds a prefix that {@link #find} does not hold; returns its new node. Writer only. */
    Node<T> insert(long hi, long lo, int bits, T owner) {
        Node<T> parent = null;
        Node<T> node = root;
        while (node != null && node.bits < bits && node.covers(hi, lo)) {
            parent = node;
            node = node.child(bitAt(hi, lo, node.bits));
        }
        Node<T> fresh = new Node<>(hi, lo, bits, ipv6, owner);
        if (node == null) {
            fresh.parent = parent;
            publish(parent, fresh);
            return fresh;
        }
        int common = Math.min(commonBits(node.hi, node.lo, hi, lo), bits);
        if (common == bits) {
            // The new prefix contains the subtree at this slot: it goes in above it.
            fresh.setChild(bitAt(node.hi, node.lo, bits), node);
            node.parent = fresh;
            fresh.parent = parent;
            publish(parent, fresh);
            return fresh;
        }
        // The new prefix and the subtree diverge at bit 'common': join them under a glue node.
        Node<T> glue = new Node<>(hi, lo, common, ipv6, null);
        glue.setChild(bitAt(hi, lo, common), fresh);
        glue.setChild(bitAt(node.hi, node.lo, common), node);
        fresh.parent = glue;
        node.parent = glue;
        glue.parent = parent;
        publish(parent, glue);
        return fresh;
    }

    /** Drops the node's owner and compacts the trie around it. Writer only. */
    void remove(Node<T> node) {
        node.owner = null;
        Node<T> c0 = node.child0;
        Node<T> c1 = node.child1;
        if (c0 != null && c1 != null) {
            return; // still a branch point: it stays as glue
        }
        Node<T> child = c0 != null ? c0 : c1;
        Node<T> parent = node.parent;
        if (child != null) {
            child.parent = parent;
        }
        replace(parent, node, child);
        if (child != null || parent == null || parent.owner != null) {
            return;
        }
        // The parent is glue left with one child: splice it out as well.
        Node<T> sibling = parent.child0 != null ? parent.child0 : parent.child1;
        sibling.parent = parent.parent;
        replace(parent.parent, parent, sibling);
    }

    /** Number of nodes, glue included; for tests that check compaction. */
    int nodeCount() {
        return count(root);
    }

    private static int count(Node<?> node) {
        return node == null ? 0 : 1 + count(node.child0) + count(node.child1);
    }

    private void publish(Node<T> parent, Node<T> node) {
        if (parent == null) {
            root = node;
        } else {
            parent.setChild(bitAt(node.hi, node.lo, parent.bits), node);
        }
    }

    private void replace(Node<T> parent, Node<T> old, Node<T> replacement) {
        if (parent == null) {
            root = replacement;
        } else if (parent.child0 == old) {
            parent.child0 = replacement;
        } else {
            parent.child1 = replacement;
        }
    }

    /** Bit {@code index} of the 128-bit key, counting from the most significant. */
    static int bitAt(long hi, long lo, int index) {
        return (int) (index < 64 ? hi >>> (63 - index) : lo >>> (127 - index)) & 1;
    }

    static int commonBits(long hi1, long lo1, long hi2, long lo2) {
        long x = hi1 ^ hi2;
        return x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(lo1 ^ lo2);
    }
}
