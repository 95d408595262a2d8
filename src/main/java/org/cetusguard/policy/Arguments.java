package org.cetusguard.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.cetusguard.json.JsonWriter;
import org.cetusguard.rules.Variables;

/** How the settings of {@link Setting} read their arguments: each returns the parsed value or throws naming the problem. */
final class Arguments {
    /** An allow-image pattern: the text for messages, compiled anchored at both ends. */
    record ImagePattern(String text, Pattern pattern) {
    }

    /** A force-label setting. */
    record Label(String key, String value) {
    }

    private Arguments() {
    }

    /** A capability name as the daemon normalises it ("net_admin" is CAP_NET_ADMIN); ALL stays ALL. */
    static Object capability(String name) {
        String capability = DaemonSyntax.normaliseCapability(name);
        if (capability == null) {
            throw new IllegalArgumentException("not a capability name: " + JsonWriter.quote(name));
        }
        return capability;
    }

    /** An absolute host path, cleaned as the daemon cleans bind sources. */
    static Object hostPath(String path) {
        String clean = HostPaths.clean(path);
        if (clean == null) {
            throw new IllegalArgumentException("not an absolute path: " + JsonWriter.quote(path));
        }
        return clean;
    }

    /** A runtime or volume-driver name, compared exactly as the daemon looks it up. */
    static Object name(String name) {
        if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("not a name: " + JsonWriter.quote(name));
        }
        return name;
    }

    /** An RE2 pattern matched against the whole image name; rule variables such as %IMAGE_TAG% expand. */
    static Object imagePattern(String regex) {
        try {
            return new ImagePattern(regex, Pattern.compile("^(?:" + Variables.expand(regex) + ")$"));
        } catch (PatternSyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid image pattern " + JsonWriter.quote(regex) + ": " + e.getMessage(), e);
        }
    }

    /** KEY=VALUE; the key must not be empty. */
    static Object label(String text) {
        int equals = text.indexOf('=');
        if (equals < 0) {
            throw new IllegalArgumentException("force-label needs KEY=VALUE");
        }
        if (equals == 0) {
            throw new IllegalArgumentException("a forced label needs a key (KEY=VALUE)");
        }
        return new Label(text.substring(0, equals), text.substring(equals + 1));
    }
}
