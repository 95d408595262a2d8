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

    /**
     * Event attributes the daemon writes into the same map as a container's labels (its own win):
     * a scope on one of these keys could not be told apart in the event stream.
     */
    static final java.util.Set<String> EVENT_ATTRIBUTES = java.util.Set.of("image", "name", "container", "execID",
            "exitCode", "signal", "oldName", "comment", "imageID", "imageName", "type", "driver", "destination",
            "propagation", "read/write");

    /** An environment variable name: no '=' and no blank (the daemon's "NAME=value" has the name before the first '='). */
    static Object envName(String name) {
        if (name.indexOf('=') >= 0 || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("not an environment variable name: " + JsonWriter.quote(name));
        }
        return name;
    }

    /** only-label KEY or KEY=VALUE: the label a container must carry (any value when none is given). */
    static Object scopeLabel(String text) {
        int equals = text.indexOf('=');
        String key = equals < 0 ? text : text.substring(0, equals);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("only-label needs a key (KEY or KEY=VALUE)");
        }
        if (EVENT_ATTRIBUTES.contains(key)) {
            throw new IllegalArgumentException("label key " + JsonWriter.quote(key) + " is also an attribute the daemon"
                    + " writes on events, so a container's scope could not be read from its events: choose another key");
        }
        return new LabelScope.Label(key, equals < 0 ? null : text.substring(equals + 1));
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
