package io.jwg.core;

/**
 * Settings that exist only so that tests can see in minutes what takes hours in production. They
 * are JVM system properties, passed with {@code -D} (for the daemon through
 * {@code JWG_EXTRA_JAVA_OPTS}), never environment variables a user could set by accident.
 * Unset, every protocol constant is the whitepaper's.
 */
public final class TestSettings {
    /**
     * {@code -Djwg.test.rekeyAfterTimeSeconds=N} (1 to 120): REKEY_AFTER_TIME becomes N seconds,
     * and REJECT_AFTER_TIME moves with it (N + 60 s, keeping wireguard-go's margin between the
     * two), so a soak test sees a rekey every N seconds.
     */
    public static final String REKEY_AFTER_TIME_PROPERTY = "jwg.test.rekeyAfterTimeSeconds";

    /** The protocol's REKEY_AFTER_TIME, in seconds. */
    static final long DEFAULT_REKEY_AFTER_TIME_SECONDS = 120;

    private TestSettings() {
    }

    /**
     * REKEY_AFTER_TIME in seconds: the property's value when set, else 120.
     *
     * @throws IllegalArgumentException naming the property when its value is not 1 to 120
     */
    public static long rekeyAfterTimeSeconds() {
        String value = System.getProperty(REKEY_AFTER_TIME_PROPERTY);
        if (value == null) {
            return DEFAULT_REKEY_AFTER_TIME_SECONDS;
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds >= 1 && seconds <= DEFAULT_REKEY_AFTER_TIME_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + REKEY_AFTER_TIME_PROPERTY + "=" + value
                + ": expected a whole number of seconds from 1 to " + DEFAULT_REKEY_AFTER_TIME_SECONDS + " (test-only setting)");
    }
}
