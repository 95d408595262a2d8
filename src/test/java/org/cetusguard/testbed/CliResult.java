package org.cetusguard.testbed;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * What one run of the docker CLI did.
 *
 * @param command  the command line that ran (binary first)
 * @param env      the DOCKER_* variables it ran with (for messages)
 * @param exitCode the process's exit code; -1 when it was killed on timeout
 * @param stdout   everything it wrote to standard output
 * @param stderr   everything it wrote to standard error (UTF-8)
 * @param timedOut whether it was killed because the timeout ran out
 * @param elapsed  how long it ran
 */
public record CliResult(List<String> command, List<String> env, int exitCode, byte[] stdout, String stderr,
                        boolean timedOut, Duration elapsed) {

    private static final int MAX_SHOWN = 4000;

    /** Standard output decoded as UTF-8. */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** True when the CLI exited 0 in time. */
    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** Returns this result, or throws an AssertionError describing it when the CLI did not exit 0 in time. */
    public CliResult requireOk() {
        if (!ok()) {
            throw new AssertionError("docker CLI failed: " + this);
        }
        return this;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("CliResult{command=").append(String.join(" ", command));
        sb.append(", env=").append(env);
        sb.append(", exitCode=").append(exitCode);
        if (timedOut) {
            sb.append(" (KILLED: timed out)");
        }
        sb.append(", elapsed=").append(elapsed.toMillis()).append("ms");
        sb.append(",\n  stdout (").append(stdout.length).append(" bytes)=").append(shorten(stdoutText()));
        sb.append(",\n  stderr=").append(shorten(stderr)).append('}');
        return sb.toString();
    }

    private static String shorten(String s) {
        if (s.length() <= MAX_SHOWN) {
            return "[" + s + "]";
        }
        return "[" + s.substring(0, MAX_SHOWN / 2) + "\n... " + (s.length() - MAX_SHOWN) + " chars left out ...\n"
            + s.substring(s.length() - MAX_SHOWN / 2) + "]";
    }
}
