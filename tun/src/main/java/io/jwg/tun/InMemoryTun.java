package io.jwg.tun;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * A TUN device in memory, for tests without root: the test plays the kernel.
 *
 * <ul>
 *   <li>{@link #inject} queues a packet "from the kernel", which the daemon's {@link #read} returns;
 *   <li>packets the daemon {@link #write}s queue up for the test's {@link #take} / {@link #poll()}.
 * </ul>
 * Both queues are bounded; like the kernel, a full queue drops the packet (counted) rather than
 * blocking the sender. Link state and MTU are plain settable values. Writes to a link that is not
 * up fail as the kernel's do (EIO), and {@link LinkState#GONE} or {@link #close()} make a blocked
 * reader return {@link #CLOSED}.
 *
 * <p>Packets are copied in and out, so this is not allocation-free: it is a test double, not a
 * data path.
 */
public final class InMemoryTun implements TunDevice {
    /** Default capacity of each queue, in packets. */
    public static final int DEFAULT_CAPACITY = 1024;
    /** MTU of a new device: the one wg-quick picks for IPv4/IPv6 over Ethernet. */
    public static final int DEFAULT_MTU = 1420;
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;

    private final String name;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition written = lock.newCondition();
    private final ArrayDeque<byte[]> fromKernel = new ArrayDeque<>();
    private final ArrayDeque<byte[]> toKernel = new ArrayDeque<>();
    private int mtu = DEFAULT_MTU;
    private LinkState linkState = LinkState.UP;
    private boolean closed;
    private long injectDrops;
    private long writeDrops;
    private UnaryOperator<byte[]> responder;
    private String lastReader;

    /** A device named {@code name}, up, with {@link #DEFAULT_MTU} and {@link #DEFAULT_CAPACITY}. */
    public InMemoryTun(String name) {
        this(name, DEFAULT_CAPACITY);
    }

    /** A device named {@code name} whose queues each hold up to {@code capacity} packets. */
    public InMemoryTun(String name, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
    }

    @Override
    public String name() {
        return name;
    }

    /** Never: injected and written packets are plain IP packets. */
    @Override
    public boolean offloads() {
        return false;
    }

    @Override
    public int mtu() throws IOException {
        lock.lock();
        try {
            requireOpen();
            return mtu;
        } finally {
            lock.unlock();
        }
    }

    /** Sets the MTU; like a Linux TUN, accepts 68 to 65535. */
    @Override
    public void setMtu(int mtu) throws IOException {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IOException("cannot set the MTU to " + mtu + " on " + name + ": Invalid argument");
        }
        lock.lock();
        try {
            requireOpen();
            this.mtu = mtu;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public LinkState linkState() throws IOException {
        lock.lock();
        try {
            if (closed && linkState != LinkState.GONE) {
                throw new IOException("TUN interface " + name + " is closed");
            }
            return linkState;
        } finally {
            lock.unlock();
        }
    }

    /** Sets the link state, as {@code ip link set up/down} or {@code ip link del} would. */
    public void setLinkState(LinkState state) {
        lock.lock();
        try {
            if (linkState == LinkState.GONE) {
                return; // a deleted interface stays deleted
            }
            linkState = state;
            if (state == LinkState.GONE) {
                readable.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a copy of {@code packet}'s remaining bytes for {@link #read}, advancing its
     * position. Returns false, counting a drop, when the queue is full or the device is closed
     * or gone.
     */
    public boolean inject(ByteBuffer packet) {
        byte[] copy = new byte[packet.remaining()];
        packet.get(copy);
        lock.lock();
        try {
            if (closed || linkState == LinkState.GONE || fromKernel.size() >= capacity) {
                injectDrops++;
                return false;
            }
            fromKernel.add(copy);
            readable.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@link #inject(ByteBuffer)} for a whole array. */
    public boolean inject(byte[] packet) {
        return inject(ByteBuffer.wrap(packet));
    }

    /**
     * Waits up to {@code timeout} for a packet the device wrote; returns it (a fresh heap
     * buffer, position 0, limit its length) or null when none came in time.
     */
    public ByteBuffer take(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (toKernel.isEmpty()) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = written.awaitNanos(nanos);
            }
            return ByteBuffer.wrap(toKernel.poll());
        } finally {
            lock.unlock();
        }
    }

    /** A packet the device wrote, or null when there is none right now. */
    public ByteBuffer poll() {
        lock.lock();
        try {
            byte[] packet = toKernel.poll();
            return packet == null ? null : ByteBuffer.wrap(packet);
        } finally {
            lock.unlock();
        }
    }

    /** Packets injected but not yet read. */
    public int pendingReads() {
        lock.lock();
        try {
            return fromKernel.size();
        } finally {
            lock.unlock();
        }
    }

    /** Packets written but not yet taken. */
    public int pendingWrites() {
        lock.lock();
        try {
            return toKernel.size();
        } finally {
            lock.unlock();
        }
    }

    /** Packets {@link #inject} refused (queue full, closed or gone). */
    public long injectDrops() {
        lock.lock();
        try {
            return injectDrops;
        } finally {
            lock.unlock();
        }
    }

    /** Packets {@link #write} accepted but dropped because the outgoing queue was full. */
    public long writeDrops() {
        lock.lock();
        try {
            return writeDrops;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks for the next injected packet. A packet longer than {@code dst}'s remaining space is
     * truncated to fit, as a TUN read into a short buffer is.
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            throw new IllegalArgumentException("no room in the buffer for a packet");
        }
        byte[] packet;
        lock.lock();
        try {
            while (true) {
                if (closed || linkState == LinkState.GONE) {
                    return CLOSED;
                }
                packet = fromKernel.poll();
                if (packet != null) {
                    lastReader = Thread.currentThread().getName();
                    break;
                }
                readable.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        int length = Math.min(packet.length, dst.remaining());
        dst.put(packet, 0, length);
        return length;
    }

    /**
     * Plays a kernel that answers some packets at once: a written packet for which
     * {@code responder} returns an answer is not queued for {@link #take}; the answer is queued
     * for the daemon's next read instead, before the write returns. Null: no answers.
     */
    public void answerWrites(UnaryOperator<byte[]> responder) {
        lock.lock();
        try {
            this.responder = responder;
        } finally {
            lock.unlock();
        }
    }

    /** The name of the thread whose read last took a packet; null before any did. */
    public String lastReader() {
        lock.lock();
        try {
            return lastReader;
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until a packet is queued (0) or the device is closed or gone ({@link #CLOSED}). */
    @Override
    public int awaitReadable() {
        lock.lock();
        try {
            while (true) {
                if (closed || linkState == LinkState.GONE) {
                    return CLOSED;
                }
                if (!fromKernel.isEmpty()) {
                    return 0;
                }
                readable.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes the next injected packet if there is one; 0 when none is queued. */
    @Override
    public int tryRead(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            throw new IllegalArgumentException("no room in the buffer for a packet");
        }
        byte[] packet;
        lock.lock();
        try {
            if (closed || linkState == LinkState.GONE) {
                return CLOSED;
            }
            packet = fromKernel.poll();
            if (packet != null) {
                lastReader = Thread.currentThread().getName();
            }
        } finally {
            lock.unlock();
        }
        if (packet == null) {
            return 0;
        }
        int length = Math.min(packet.length, dst.remaining());
        dst.put(packet, 0, length);
        return length;
    }

    /**
     * Queues a copy of the packet for {@link #take}. Fails like the kernel for an empty packet
     * (EINVAL), a link that is down (EIO) or gone, and a closed device; a full queue drops it.
     */
    @Override
    public int writeGathered(VirtioNetHdr hdr, long[] addresses, int[] lengths, int count) {
        throw new UnsupportedOperationException("an in-memory TUN has no offloads");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int length = src.remaining();
        lock.lock();
        try {
            requireOpen();
            if (linkState == LinkState.GONE) {
                throw new IOException("cannot write to " + name + ": the interface was deleted");
            }
            if (linkState == LinkState.DOWN) {
                throw new IOException("cannot write a " + length + "-byte packet to " + name
                        + ": Input/output error");
            }
            if (length == 0) {
                throw new IOException("cannot write a 0-byte packet to " + name + ": Invalid argument");
            }
            byte[] copy = new byte[length];
            src.get(copy);
            byte[] answer = responder == null ? null : responder.apply(copy);
            if (answer != null) {
                // The kernel's answer is queued before the write returns, as an echo reply is.
                fromKernel.add(answer);
                readable.signal();
            } else if (toKernel.size() >= capacity) {
                writeDrops++;
            } else {
                toKernel.add(copy);
                written.signal();
            }
            return length;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the device; idempotent; a blocked reader returns {@link #CLOSED}. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("TUN interface " + name + " is closed");
        }
    }

    @Override
    public String toString() {
        return "InMemoryTun[" + name + "]";
    }
}
