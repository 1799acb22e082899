package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportAead;
import io.jwg.core.crypto.TransportKey;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link AeadWarmUp}: real round trips through the AEAD the data path uses, each one checked. */
class AeadWarmUpTest {
    @Test
    void shouldOpenEveryMessageItSealsWithTheDataPathsAead() {
        assertEquals(500, AeadWarmUp.run(Aeads.create(), 500));
        assertEquals(500, AeadWarmUp.run(new ChaChaPoly(), 500));
    }

    @Test
    void shouldWarmUpOpenSslWhenTheDaemonWouldUseIt() {
        if (Aeads.useOpenSsl()) {
            assertEquals(200, AeadWarmUp.run(new OpenSslAead(), 200));
        } else {
            assertTrue(OpenSslAead.problem() != null, "OpenSSL unused without a reason");
        }
    }

    @Test
    void shouldCountRoundTripsThatDidNotOpen() {
        TransportAead jdk = new ChaChaPoly();
        TransportAead everyThirdFails = new TransportAead() {
            private int calls;

            @Override
            public void sealPadded(TransportKey key, long counter, ByteBuffer src, int padding, ByteBuffer dst) {
                jdk.sealPadded(key, counter, src, padding, dst);
            }

            @Override
            public boolean open(TransportKey key, long counter, ByteBuffer src, ByteBuffer dst) {
                return ++calls % 3 != 0 && jdk.open(key, counter, src, dst);
            }
        };
        assertEquals(20, AeadWarmUp.run(everyThirdFails, 30));
    }
}
