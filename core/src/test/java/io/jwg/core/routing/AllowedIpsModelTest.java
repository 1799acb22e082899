package io.jwg.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * 100,000 random operations per address family against a naive model: a map of prefix to owner
 * scanned for the longest match, and per-peer lists kept by wireguard-go's ordering rule.
 */
class AllowedIpsModelTest {

    private static final int OPERATIONS = 100_000;

    /** Peers compare by identity; the name is only for messages. */
    private static final class Peer {
        private final String name;

        Peer(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The naive model. */
    private static final class Model {
        final Map<IpPrefix, Peer> owners = new LinkedHashMap<>();
        final Map<Peer, List<IpPrefix>> order = new IdentityHashMap<>();

        void insert(IpPrefix prefix, Peer peer) {
            Peer old = owners.put(prefix, peer);
            if (old != null) {
                order.get(old).remove(prefix);
            }
            order.computeIfAbsent(peer, k -> new ArrayList<>()).add(prefix);
        }

        boolean remove(IpPrefix prefix, Peer peer) {
            if (owners.get(prefix) != peer) {
                return false;
            }
            owners.remove(prefix);
            order.get(peer).remove(prefix);
            return true;
        }

        void removeAll(Peer peer) {
            List<IpPrefix> mine = order.remove(peer);
            if (mine != null) {
                mine.forEach(owners::remove);
            }
        }

        Peer lookup(byte[] address) {
            Peer best = null;
            int bestBits = -1;
            for (Map.Entry<IpPrefix, Peer> e : owners.entrySet()) {
                IpPrefix p = e.getKey();
                byte[] net = p.address().getAddress();
                if (net.length == address.length && p.bits() > bestBits && covers(net, p.bits(), address)) {
                    best = e.getValue();
                    bestBits = p.bits();
                }
            }
            return best;
        }

        List<IpPrefix> prefixes(Peer peer) {
            return order.getOrDefault(peer, List.of());
        }

        private static boolean covers(byte[] net, int bits, byte[] address) {
            for (int i = 0; i < bits; i++) {
                int bit = 7 - (i & 7);
                if (((net[i >> 3] >> bit) & 1) != ((address[i >> 3] >> bit) & 1)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Draws addresses from a few clustered regions so that prefixes overlap a lot. */
    private static byte[] randomAddress(SplittableRandom random, boolean ipv6) {
        byte[] b = new byte[ipv6 ? 16 : 4];
        int region = random.nextInt(4);
        if (region == 3) {
            random.nextBytes(b); // anywhere
            return b;
        }
        b[0] = (byte) (ipv6 ? 0xFD : 10);
        b[1] = (byte) region;
        if (ipv6) {
            // Vary bits on both sides of the 64-bit split that the trie keys on.
            b[7] = (byte) random.nextInt(4);
            b[8] = (byte) (random.nextInt(4) << 6);
            b[15] = (byte) random.nextInt(16);
        } else {
            b[2] = (byte) random.nextInt(4);
            b[3] = (byte) random.nextInt(64);
        }
        return b;
    }

    private static int randomBits(SplittableRandom random, boolean ipv6) {
        int max = ipv6 ? 128 : 32;
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(max + 1);
            case 1 -> max - random.nextInt(8);
            case 2 -> ipv6 ? 56 + random.nextInt(16) : 16 + random.nextInt(10);
            default -> random.nextInt(Math.min(max, 17));
        };
    }

    private static InetAddress address(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldMatchModelForIpv4() {
        run(false, 0x1234_5678L);
    }

    @Test
    void shouldMatchModelForIpv6() {
        run(true, 0x8765_4321L);
    }

    @Test
    void shouldMatchModelForMixedFamilies() {
        run(null, 0xABCD_EF01L);
    }

    /** @param family {@code true} IPv6, {@code false} IPv4, {@code null} both interleaved */
    private static void run(Boolean family, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        AllowedIps<Peer> table = new AllowedIps<>();
        Model model = new Model();
        Peer[] peers = new Peer[6];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = new Peer("peer" + i);
        }
        ByteBuffer packet = ByteBuffer.allocateDirect(64);
        for (int op = 0; op < OPERATIONS; op++) {
            boolean ipv6 = family != null ? family : random.nextBoolean();
            Peer peer = peers[random.nextInt(peers.length)];
            int kind = random.nextInt(100);
            String where = "op " + op;
            if (kind < 35) {
                IpPrefix prefix = new IpPrefix(address(randomAddress(random, ipv6)), randomBits(random, ipv6));
                table.insert(prefix, peer);
                model.insert(prefix, peer);
            } else if (kind < 55) {
                IpPrefix prefix;
                if (!model.owners.isEmpty() && random.nextInt(3) > 0) {
                    // An existing prefix, sometimes with its owner, sometimes with another peer.
                    List<IpPrefix> all = new ArrayList<>(model.owners.keySet());
                    prefix = all.get(random.nextInt(all.size()));
                    if (random.nextBoolean()) {
                        peer = model.owners.get(prefix);
                    }
                } else {
                    prefix = new IpPrefix(address(randomAddress(random, ipv6)), randomBits(random, ipv6));
                }
                assertEquals(model.remove(prefix, peer), table.remove(prefix, peer), where + " remove " + prefix);
            } else if (kind < 57) {
                table.removeAll(peer);
                model.removeAll(peer);
            } else {
                byte[] a = randomAddress(random, ipv6);
                Peer expected = model.lookup(a);
                assertSame(expected, table.lookup(address(a)), where + " lookup " + address(a));
                packet.put(20, a);
                assertSame(expected, table.lookup(packet, 20, ipv6), where + " buffer lookup");
                if (!ipv6) {
                    assertSame(expected, table.lookupIpv4(ByteBuffer.wrap(a).getInt()), where);
                }
            }
            if (op % 97 == 0 || kind < 57) {
                assertEquals(model.owners.size(), table.size(), where + " size");
                Peer someone = peers[random.nextInt(peers.length)];
                assertEquals(model.prefixes(someone), table.prefixes(someone), where + " prefixes of " + someone);
            }
            if (op % 1009 == 0) {
                assertTrue(table.nodeCount() <= Math.max(0, 2 * table.size() - 1), where + " compaction");
            }
        }
        for (Peer peer : peers) {
            assertEquals(model.prefixes(peer), table.prefixes(peer));
        }
        for (Peer peer : peers) {
            table.removeAll(peer);
        }
        assertEquals(0, table.size());
        assertEquals(0, table.nodeCount(), "nothing left behind");
        assertNull(table.lookup(address(new byte[4])));
    }

    /**
     * One writer churning prefixes inside 10.0.0.0/8 while a reader looks up concurrently. The /8
     * is never touched, so every lookup inside it must find a peer (the /8's owner or a churned
     * more-specific one) and never null or a stale owner of an unrelated prefix.
     */
    @Test
    void shouldServeConsistentLookupsDuringConcurrentWrites() throws InterruptedException {
        AllowedIps<Peer> table = new AllowedIps<>();
        Peer base = new Peer("base");
        Peer churn = new Peer("churn");
        Peer elsewhere = new Peer("elsewhere");
        table.insert(IpPrefix.parse("10.0.0.0/8"), base);
        table.insert(IpPrefix.parse("192.168.0.0/16"), elsewhere);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(7);
            long lookups = 0;
            while (!done.get() || lookups < 100_000) {
                int address = 0x0A00_0000 | random.nextInt(1 << 12);
                Peer found = table.lookupIpv4(address);
                if (found != base && found != churn) {
                    failure.compareAndSet(null, "lookup of " + Integer.toHexString(address) + " gave " + found);
                    return;
                }
                if (table.lookupIpv4(0xC0A8_0101) != elsewhere) {
                    failure.compareAndSet(null, "unrelated prefix lost");
                    return;
                }
                lookups++;
            }
        });
        reader.start();
        SplittableRandom random = new SplittableRandom(11);
        List<IpPrefix> live = new ArrayList<>();
        for (int i = 0; i < 200_000 && failure.get() == null; i++) {
            if (live.size() < 50 && random.nextBoolean()) {
                IpPrefix p = new IpPrefix(address(new byte[] {10, 0, (byte) random.nextInt(16), (byte) random.nextInt(256)}),
                        20 + random.nextInt(13));
                table.insert(p, churn);
                live.remove(p);
                live.add(p);
            } else if (!live.isEmpty()) {
                table.remove(live.remove(random.nextInt(live.size())), churn);
            }
            if (i % 50_000 == 0) {
                table.removeAll(churn);
                live.clear();
            }
        }
        done.set(true);
        reader.join();
        assertNull(failure.get(), failure.get());
    }
}
