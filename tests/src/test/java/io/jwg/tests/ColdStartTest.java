package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A freshly started jwg has its packet path compiled before traffic makes it hot. The launcher
 * starts the daemon with the ahead-of-time cache, whose training run profiled the packet path,
 * and with eager compilation from those profiles; so light traffic right after start (pings a
 * second apart) runs compiled code, as it does in wireguard-go, instead of the interpreter,
 * which cost about 1 ms per packet on each side. Here a handful of packets (the handshake and
 * two pings, thousands of invocations short of what C2 normally waits for) has gone through
 * when the data path's methods are looked up in the daemon's code cache with
 * {@code jcmd Compiler.codelist}: they must be there, compiled by C2 (tier 4). So must the
 * compiled wrappers (tier 0) of the path's native methods, which the JIT makes only after about
 * 200 calls unless the launcher lowers that threshold for them, as it does.
 */
class ColdStartTest {
    /**
     * Methods every transport packet runs, sending or receiving. Without eager compilation none
     * of them is C2-compiled after a few packets; with it, most are from the start. Not all:
     * the first packets can take a branch the training never took, and the JIT then drops that
     * method's code until it has profiled it again.
     */
    private static final List<String> PACKET_PATH = List.of("io.jwg.daemon.PeerQueue.drain", "io.jwg.daemon.DataPath.send",
            "io.jwg.daemon.DataPath.deliver", "io.jwg.daemon.DataPath.seal", "io.jwg.daemon.InboundHandler.onDatagram",
            "io.jwg.daemon.OpenSslAead.open", "io.jwg.daemon.OpenSslAead.sealPadded", "io.jwg.daemon.RecvBatch.receive",
            "io.jwg.daemon.UdpSender.batchSend", "io.jwg.daemon.TunSegments.copy", "io.jwg.tun.LinuxTun.readDirect",
            "io.jwg.tun.TunWriter.writev");
    private static final int AT_LEAST = PACKET_PATH.size() / 2;
    private static final Duration COMPILED_WITHIN = Duration.ofSeconds(60);

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldRunItsPacketPathCompiledFromTheFirstPackets() throws Exception {
        try (Pair pair = Pair.builder().a(Jwg::start).b(Daemons.wireguardGoFactory()).build()) {
            long pid = pair.a().pid();
            String commandLine = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
            assertTrue(commandLine.contains("-XX:AOTCache="),
                    "the launcher ran without its ahead-of-time cache (JWG_JAVA_OPTS set?): " + commandLine);
            assertTrue(commandLine.contains("-XX:+AOTCompileEagerly"),
                    "the launcher must start the daemon with eager compilation from the cache's profiles: " + commandLine);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);

            Set<String> compiled = new TreeSet<>();
            long deadline = System.nanoTime() + COMPILED_WITHIN.toNanos();
            while (compiled.size() < AT_LEAST && System.nanoTime() < deadline) {
                compiled = new TreeSet<>(c2CompiledMethods(pid));
                compiled.retainAll(PACKET_PATH);
                if (compiled.size() < AT_LEAST) {
                    Thread.sleep(500);
                }
            }
            Set<String> found = compiled;
            assertTrue(found.size() >= AT_LEAST, () -> "only " + found + " of " + PACKET_PATH + " compiled by C2 "
                    + COMPILED_WITHIN.toSeconds() + " s after start, with only a handshake and two pings sent\n" + pair.describe());

            Set<String> wrapped = new TreeSet<>(compiledAt(pid, "0"));
            wrapped.retainAll(PACKET_PATH_NATIVES);
            assertEquals(new TreeSet<>(PACKET_PATH_NATIVES), wrapped, () -> "native methods of the packet path without a"
                    + " compiled wrapper after a handshake and two pings each way (the launcher's CompileThresholdScaling)");
        }
    }

    /** Tier 0 in the code list: a native method's compiled wrapper. */
    private static final List<String> PACKET_PATH_NATIVES = List.of("io.jwg.tun.LibC.read", "io.jwg.tun.LibC.poll",
            "io.jwg.tun.LibC.writev", "io.jwg.daemon.UdpSender.sendmmsg", "io.jwg.daemon.RecvBatch.recvmmsg",
            "io.netty.channel.epoll.Native.epollWait0");

    private static Set<String> c2CompiledMethods(long pid) {
        return compiledAt(pid, "4");
    }

    /** Methods with live code of {@code tier} in {@code pid}, as "package.Class.method". */
    private static Set<String> compiledAt(long pid, String tier) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        ExecResult list = Exec.run(Duration.ofSeconds(30), null, List.of(jcmd.toString(), Long.toString(pid), "Compiler.codelist"));
        assertEquals(0, list.exitCode(), list::describe);
        Set<String> methods = new TreeSet<>();
        for (String line : list.stdout().split("\n")) {
            // "<compile id> <tier> <state: 0 in use> <method(signature)> [addresses]"
            String[] fields = line.strip().split(" ", 4);
            if (fields.length == 4 && fields[1].equals(tier) && fields[2].equals("0") && fields[3].contains("(")) {
                methods.add(fields[3].substring(0, fields[3].indexOf('(')));
            }
        }
        return methods;
    }
}
