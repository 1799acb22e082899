package io.jwg.benchmarks;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * OpenSSL's ChaCha20-Poly1305 (libcrypto 3, EVP interface) called through the JDK's foreign
 * function API, for comparison only: it shows what the transport AEAD costs when the per-packet
 * key setup is OpenSSL's instead of the JCE's {@code Cipher.init}. Not used by jwg itself.
 * One instance per thread; calls allocate nothing.
 */
final class OpenSslAead implements AutoCloseable {
    private static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private static final int EVP_CTRL_AEAD_SET_TAG = 0x11;
    private static final int TAG = 16;

    private final Arena arena = Arena.ofConfined();
    private final MethodHandle cipherInit;
    private final MethodHandle cipherUpdate;
    private final MethodHandle cipherFinal;
    private final MethodHandle ctrl;
    private final MethodHandle ctxFree;
    private final MemorySegment ctx;
    private final MemorySegment outLength = arena.allocate(JAVA_INT);
    private final MemorySegment nonce = arena.allocate(12);
    private final MemorySegment key = arena.allocate(32);

    @SuppressWarnings("restricted")
    OpenSslAead(byte[] keyBytes) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup crypto = SymbolLookup.libraryLookup("libcrypto.so.3", arena);
        cipherInit = linker.downcallHandle(crypto.findOrThrow("EVP_CipherInit_ex"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        cipherUpdate = linker.downcallHandle(crypto.findOrThrow("EVP_CipherUpdate"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        cipherFinal = linker.downcallHandle(crypto.findOrThrow("EVP_CipherFinal_ex"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        ctrl = linker.downcallHandle(crypto.findOrThrow("EVP_CIPHER_CTX_ctrl"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        ctxFree = linker.downcallHandle(crypto.findOrThrow("EVP_CIPHER_CTX_free"),
                FunctionDescriptor.ofVoid(ADDRESS));
        try {
            MethodHandle ctxNew = linker.downcallHandle(crypto.findOrThrow("EVP_CIPHER_CTX_new"),
                    FunctionDescriptor.of(ADDRESS));
            MethodHandle algorithm = linker.downcallHandle(crypto.findOrThrow("EVP_chacha20_poly1305"),
                    FunctionDescriptor.of(ADDRESS));
            ctx = (MemorySegment) ctxNew.invokeExact();
            MemorySegment.copy(keyBytes, 0, key, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, 32);
            check((int) cipherInit.invokeExact(ctx, (MemorySegment) algorithm.invokeExact(), MemorySegment.NULL,
                    key, MemorySegment.NULL, -1));
        } catch (Throwable t) {
            throw new IllegalStateException("libcrypto setup failed", t);
        }
    }

    /** Encrypts {@code len} bytes at {@code in} into {@code out}, appending the 16-byte tag. */
    void seal(long counter, MemorySegment in, int len, MemorySegment out) {
        try {
            setNonce(counter, 1);
            check((int) cipherUpdate.invokeExact(ctx, out, outLength, in, len));
            check((int) cipherFinal.invokeExact(ctx, out.asSlice(len), outLength));
            check((int) ctrl.invokeExact(ctx, EVP_CTRL_AEAD_GET_TAG, TAG, out.asSlice(len)));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Decrypts {@code len} bytes (tag included) at {@code in} into {@code out}; false on a bad tag. */
    boolean open(long counter, MemorySegment in, int len, MemorySegment out) {
        try {
            setNonce(counter, 0);
            check((int) cipherUpdate.invokeExact(ctx, out, outLength, in, len - TAG));
            check((int) ctrl.invokeExact(ctx, EVP_CTRL_AEAD_SET_TAG, TAG, in.asSlice(len - TAG)));
            return (int) cipherFinal.invokeExact(ctx, out.asSlice(len - TAG), outLength) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void setNonce(long counter, int encrypt) throws Throwable {
        nonce.set(JAVA_INT, 0, 0);
        nonce.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4, counter);
        check((int) cipherInit.invokeExact(ctx, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, nonce, encrypt));
    }

    private static void check(int rc) {
        if (rc != 1) {
            throw new IllegalStateException("libcrypto call failed");
        }
    }

    @Override
    public void close() {
        try {
            ctxFree.invokeExact(ctx);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        arena.close();
    }
}
