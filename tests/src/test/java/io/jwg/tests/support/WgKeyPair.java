package io.jwg.tests.support;

import java.util.List;

/**
 * A Curve25519 key pair in WireGuard's base64 form, made by the real {@code wg genkey} and
 * {@code wg pubkey}, so interop tests exercise the same tooling users do.
 *
 * @param privateKey base64 private key, as {@code wg genkey} prints it
 * @param publicKey  base64 public key derived by {@code wg pubkey}
 */
public record WgKeyPair(String privateKey, String publicKey) {

    /** Generates a new key pair with {@code wg}. */
    public static WgKeyPair generate() {
        String privateKey = Exec.runOk("wg", "genkey").stdout().strip();
        String publicKey = Exec.requireOk(Exec.run(Exec.DEFAULT_TIMEOUT, privateKey + "\n", List.of("wg", "pubkey")))
                .stdout().strip();
        return new WgKeyPair(privateKey, publicKey);
    }

    @Override
    public String toString() {
        // Keep private keys out of test reports.
        return "WgKeyPair[publicKey=" + publicKey + "]";
    }
}
