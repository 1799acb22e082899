package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/jwg} rebuilds the daemon jar when a source of it is newer, and only then: a change
 * under {@code tests/} or {@code benchmarks/} must not rebuild it (and retrain its AOT cache),
 * which took 16 s in the middle of a benchmark run before the launcher's check was fixed.
 */
class LauncherBuildTest {
    @Test
    void shouldNotRebuildTheDaemonForAChangedTestOrBenchmarkSource() throws Exception {
        Path home = Jwg.home();
        Path jar = home.resolve("daemon/target/jwg.jar");
        assertTrue(version().ok(), "bin/jwg --version");
        FileTime built = Files.getLastModifiedTime(jar);
        FileTime later = FileTime.from(Instant.now().plusSeconds(5));
        for (String source : List.of("tests/src/test/java/io/jwg/tests/LauncherBuildTest.java", "tests/pom.xml",
                "benchmarks/pom.xml")) {
            Path file = home.resolve(source);
            FileTime before = Files.getLastModifiedTime(file);
            try {
                Files.setLastModifiedTime(file, later);
                ExecResult run = version();
                assertTrue(run.ok(), run::describe);
                assertEquals(built, Files.getLastModifiedTime(jar), "bin/jwg rebuilt the daemon jar for " + source);
            } finally {
                Files.setLastModifiedTime(file, before);
            }
        }
    }

    private static ExecResult version() {
        return Exec.run(Duration.ofMinutes(5), null, List.of(Jwg.executable().toString(), "--version"));
    }
}
