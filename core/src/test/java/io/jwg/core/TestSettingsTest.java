package io.jwg.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The test-only rekey setting: the whitepaper's value unless set, and only sane values when set. */
class TestSettingsTest {
    @AfterEach
    void clear() {
        System.clearProperty(TestSettings.REKEY_AFTER_TIME_PROPERTY);
    }

    @Test
    void shouldKeepTheProtocolValueWhenUnset() {
        assertEquals(120, TestSettings.rekeyAfterTimeSeconds());
        // This JVM does not set the property, so the constants are the whitepaper's.
        assertEquals(120_000_000_000L, Constants.REKEY_AFTER_TIME);
        assertEquals(180_000_000_000L, Constants.REJECT_AFTER_TIME);
        assertEquals(165_000_000_000L, Constants.REKEY_ON_RECEIVE_AGE);
    }

    @Test
    void shouldTakeSecondsFromOneTo120() {
        System.setProperty(TestSettings.REKEY_AFTER_TIME_PROPERTY, "10");
        assertEquals(10, TestSettings.rekeyAfterTimeSeconds());
        System.setProperty(TestSettings.REKEY_AFTER_TIME_PROPERTY, " 1 ");
        assertEquals(1, TestSettings.rekeyAfterTimeSeconds());
        System.setProperty(TestSettings.REKEY_AFTER_TIME_PROPERTY, "120");
        assertEquals(120, TestSettings.rekeyAfterTimeSeconds());
    }

    @Test
    void shouldRefuseAnythingElseNamingTheProperty() {
        for (String bad : new String[] {"0", "-5", "121", "ten", "", "1.5"}) {
            System.setProperty(TestSettings.REKEY_AFTER_TIME_PROPERTY, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, TestSettings::rekeyAfterTimeSeconds, bad);
            assertTrue(e.getMessage().contains(TestSettings.REKEY_AFTER_TIME_PROPERTY), e.getMessage());
        }
    }
}
