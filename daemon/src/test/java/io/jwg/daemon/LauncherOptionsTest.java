package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launcher names the packet path's compilation boundaries ({@code CompileCommand=dontinline})
 * as strings; a renamed or moved method would silently lose its boundary, and with it the peak
 * RSS they keep under 100 MB. Every name there must be a method that exists.
 */
class LauncherOptionsTest {
    private static final Pattern LIST = Pattern.compile("for method in ([^;]+); do\\s+java_opts\\+=\\(\"-XX:CompileCommand=dontinline,\\$method\"\\)");

    @Test
    void shouldNameOnlyMethodsThatExistAsCompilationBoundaries() throws IOException, ClassNotFoundException {
        String launcher = Files.readString(launcher());
        Matcher list = LIST.matcher(launcher);
        assertTrue(list.find(), "bin/jwg no longer has its dontinline list");

        List<String> missing = new ArrayList<>();
        String[] names = list.group(1).replace("\\\n", " ").trim().split("\\s+");
        for (String name : names) {
            String[] parts = name.split("::");
            Class<?> owner = Class.forName(parts[0], false, getClass().getClassLoader());
            boolean found = Arrays.stream(owner.getDeclaredMethods()).map(Method::getName).anyMatch(parts[1]::equals);
            if (!found) {
                missing.add(name);
            }
        }
        assertTrue(names.length >= 5, () -> "the list shrank to " + Arrays.toString(names));
        assertTrue(missing.isEmpty(), () -> "bin/jwg names methods that do not exist: " + missing);
    }

    /** bin/jwg of this checkout: surefire runs in the module's directory. */
    private static Path launcher() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("bin/jwg");
            if (Files.isRegularFile(candidate) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find bin/jwg above " + Path.of("").toAbsolutePath());
    }
}
