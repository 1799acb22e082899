package io.jwg.uapi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * A listening Unix socket inherited as a file descriptor ({@code WG_UAPI_FD}), which the JDK's
 * channels cannot adopt: accept, read and write through libc via the FFM API. Blocking calls
 * run on platform threads; {@code shutdown(2)} wakes them when the socket is closed.
 */
@SuppressWarnings("restricted") // libc downcalls; the daemon runs with --enable-native-access
final class NativeSocket {
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(StructLayout.PathElement.groupElement("errno"));
    private static final MethodHandle ACCEPT4 = handle("accept4", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle SHUTDOWN = handle("shutdown", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final short POLLIN = 1;

    private NativeSocket() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** accept4(fd) with close-on-exec, retried on EINTR. */
    static int accept(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            while (true) {
                int client = (int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
                if (client >= 0) {
                    return client;
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno != EINTR) {
                    throw new IOException("accept4 failed, errno " + errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for {@code fd} to become readable (a listening socket: a
     * connection to accept). Shutting down a listening Unix socket does not wake a blocked
     * accept(2), so the acceptor waits here in slices and checks whether it should stop.
     */
    static boolean awaitReadable(int fd, int timeoutMillis) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment pollfd = arena.allocate(8);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            int ready = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
            if (ready < 0 && (int) ERRNO.get(state, 0L) != EINTR) {
                throw new IOException("poll failed, errno " + (int) ERRNO.get(state, 0L));
            }
            return ready > 0;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** Wakes threads blocked on {@code fd} (a shut-down socket reads EOF, accept fails). */
    static void shutdown(int fd) {
        try {
            int ignored = (int) SHUTDOWN.invokeExact(MemorySegment.NULL, fd, SHUT_RDWR);
        } catch (Throwable t) {
            // best effort: the close that follows still releases the descriptor
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(MemorySegment.NULL, fd);
        } catch (Throwable t) {
            // nothing to do about a failed close
        }
    }

    /** A connected socket descriptor as a {@link UapiConnection.Transport}. */
    static final class FdTransport implements UapiConnection.Transport {
        private final int fd;
        // GC-managed: a blocked call may still use them while another thread closes the socket.
        private final MemorySegment buffer = Arena.ofAuto().allocate(UapiConnection.MAX_LINE);
        private final MemorySegment state = Arena.ofAuto().allocate(CAPTURE);
        private boolean closed;
        private boolean released;
        private int inFlight;

        FdTransport(int fd) {
            this.fd = fd;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            long n = io(READ, Math.min(dst.remaining(), buffer.byteSize()));
            if (n == 0) {
                return -1;
            }
            dst.put(buffer.asSlice(0, n).asByteBuffer());
            return (int) n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int length = (int) Math.min(src.remaining(), buffer.byteSize());
            MemorySegment.copy(MemorySegment.ofBuffer(src.slice(src.position(), length)), 0, buffer, 0, length);
            long n = io(WRITE, length);
            src.position(src.position() + (int) n);
            return (int) n;
        }

        private long io(MethodHandle call, long length) throws IOException {
            synchronized (this) {
                if (closed) {
                    throw new IOException("closed");
                }
                inFlight++;
            }
            try {
                while (true) {
                    long n = (long) call.invokeExact(state, fd, buffer, length);
                    if (n >= 0) {
                        return n;
                    }
                    int errno = (int) ERRNO.get(state, 0L);
                    if (errno != EINTR) {
                        throw new IOException("socket I/O failed, errno " + errno);
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            } finally {
                synchronized (this) {
                    inFlight--;
                    releaseIfIdle();
                }
            }
        }

        /** The descriptor is closed only when no call uses it, so its number cannot be reused under one. */
        private void releaseIfIdle() {
            if (closed && inFlight == 0 && !released) {
                released = true;
                NativeSocket.close(fd);
            }
        }

        /** Shuts the socket down (waking a blocked call) and releases it once. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                shutdown(fd);
                releaseIfIdle();
            }
        }
    }
}
