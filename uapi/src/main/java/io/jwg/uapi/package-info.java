/**
 * The WireGuard UAPI text protocol ({@code get=1} / {@code set=1}) and its Unix-socket server,
 * byte-compatible with wireguard-go's {@code device/uapi.go}.
 */
package io.jwg.uapi;
