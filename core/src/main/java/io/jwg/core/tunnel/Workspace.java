package io.jwg.core.tunnel;

import io.jwg.core.cookie.CookieChecker;
import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.noise.Noise;
import java.security.SecureRandom;

/** Per-thread scratch of the engine: crypto objects and message buffers, so calls allocate nothing. */
final class Workspace {
    final Noise noise;
    final ChaChaPoly aead = new ChaChaPoly();
    final SealJob sealJob = new SealJob();
    final OpenJob openJob = new OpenJob();
    final byte[] message = new byte[HandshakeInitiation.SIZE];
    final byte[] cookieReply = new byte[CookieReply.SIZE];
    final CookieChecker.Scratch cookieScratch;
    final SourceBytes sources = new SourceBytes();
    final byte[] peerStatic = new byte[32];
    final byte[] sendKey = new byte[32];
    final byte[] receiveKey = new byte[32];

    Workspace(SecureRandom random) {
        noise = new Noise(random);
        cookieScratch = new CookieChecker.Scratch(random);
    }
}
