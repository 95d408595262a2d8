package org.cetusguard.log;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The Go original's logger: syslog levels (RFC 5424), one line per entry, "LEVEL: yyyy/MM/dd HH:mm:ss message".
 * Critical, error and warning go to stderr; info and debug to stdout, exactly as operators' log
 * pipelines already expect from the original.
 */
public final class Log {
    public static final int NONE = 0;
    public static final int CRITICAL = 2;
    public static final int ERROR = 3;
    public static final int WARNING = 4;
    public static final int INFO = 6;
    public static final int DEBUG = 7;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private static volatile int level = INFO;

    private Log() {
    }

    /** Values outside 0..7 are clamped, as the original does. */
    public static void setLevel(int value) {
        level = Math.max(NONE, Math.min(DEBUG, value));
    }

    public static int level() {
        return level;
    }

    public static boolean enabled(int atLevel) {
        return atLevel <= level;
    }

    public static void critical(String message) {
        write(CRITICAL, "CRITICAL: ", System.err, message);
    }

    public static void error(String message) {
        write(ERROR, "ERROR: ", System.err, message);
    }

    public static void warning(String message) {
        write(WARNING, "WARNING: ", System.err, message);
    }

    public static void info(String message) {
        write(INFO, "INFO: ", System.out, message);
    }

    public static void debug(String message) {
        write(DEBUG, "DEBUG: ", System.out, message);
    }

    private static void write(int atLevel, String prefix, PrintStream out, String message) {
        if (!enabled(atLevel)) {
            return;
        }
        // One println per entry so concurrent entries never interleave within a line.
        out.println(prefix + LocalDateTime.now().format(STAMP) + " " + message);
    }
}
