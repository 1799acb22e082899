package io.jwg.daemon;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportAead;
import java.util.Locale;

/**
 * Chooses the transport AEAD for the data-path threads: OpenSSL's libcrypto when it loads and
 * passes its self-test ({@link OpenSslAead}), otherwise the JDK cipher. {@code JWG_AEAD=jdk}
 * forces the JDK cipher (the off switch); {@code JWG_AEAD=openssl} makes a missing libcrypto
 * an error at start rather than a silent fallback.
 */
public final class Aeads {
    static final String ENV = "JWG_AEAD";

    private Aeads() {
    }

    /** What the environment asks for: "auto", "openssl" or "jdk"; null when the value is invalid. */
    static String requested() {
        String value = System.getenv(ENV);
        if (value == null || value.isEmpty()) {
            return "auto";
        }
        value = value.toLowerCase(Locale.ROOT);
        return value.equals("auto") || value.equals("openssl") || value.equals("jdk") ? value : null;
    }

    /** Null when the request can be met, else a one-line reason. */
    static String problem() {
        String requested = requested();
        if (requested == null) {
            return ENV + " must be auto, openssl or jdk, not \"" + System.getenv(ENV) + "\"";
        }
        if (requested.equals("openssl") && !OpenSslAead.available()) {
            return ENV + "=openssl, but libcrypto cannot be used: " + OpenSslAead.problem();
        }
        return null;
    }

    static boolean useOpenSsl() {
        return !"jdk".equals(requested()) && OpenSslAead.available();
    }

    /** A new instance for one thread: what the data path uses. */
    public static TransportAead create() {
        return useOpenSsl() ? new OpenSslAead() : new ChaChaPoly();
    }

    /** A new OpenSSL instance for one thread (benchmarks); fails when libcrypto is unusable. */
    public static TransportAead openSsl() {
        if (!OpenSslAead.available()) {
            throw new IllegalStateException("libcrypto cannot be used: " + OpenSslAead.problem());
        }
        return new OpenSslAead();
    }

    /** For the log. */
    static String describe() {
        if (useOpenSsl()) {
            return "OpenSSL libcrypto";
        }
        return "JDK cipher" + ("jdk".equals(requested()) ? " (" + ENV + "=jdk)" : " (libcrypto: " + OpenSslAead.problem() + ")");
    }
}
