package org.cetusguard.policy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * How the daemon reads the strings the policy judges. Each method restates one parsing rule of
 * moby (named in its comment), so that the policy compares what the daemon will act on, not
 * what the text looks like.
 */
final class DaemonSyntax {
    private DaemonSyntax() {
    }

    /**
     * The daemon's normalisation (moby caps.NormalizeLegacyCapabilities): Go's strings.ToUpper,
     * "ALL" kept, "CAP_" prefixed when missing. Go upper-cases rune by rune with simple case
     * mappings, so 'ſ' becomes 'S' and 'ı' becomes 'I': Character.toUpperCase(int) does the
     * same. Anything that is not then [A-Z0-9_] cannot be a capability and is refused.
     */
    static String normaliseCapability(String name) {
        StringBuilder upper = new StringBuilder(name.length() + 4);
        name.codePoints().map(Character::toUpperCase).forEach(upper::appendCodePoint);
        String result = upper.toString();
        if (result.isEmpty()) {
            return null;
        }
        for (int i = 0; i < result.length(); i++) {
            char c = result.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
                return null;
            }
        }
        if (result.equals("ALL")) {
            return result;
        }
        return result.startsWith("CAP_") ? result : "CAP_" + result;
    }

    /**
     * Null when the option is safe, else why not. The daemon (daemon_unix.go parseSecurityOpt)
     * splits at the first '=' or, failing that, the first ':', and knows label, apparmor,
     * seccomp and no-new-privileges. Only what is known to keep the defaults passes: a custom
     * seccomp profile can allow every syscall, a named AppArmor profile can be unconfined under
     * another name, and an SELinux type such as spc_t lifts confinement.
     */
    static String unsafeSecurityOption(String option) {
        if (option.equals("no-new-privileges")) {
            return null;
        }
        if (option.equals("disable")) {
            return "disabling SELinux labels is not allowed";
        }
        int equals = option.indexOf('=');
        int colon = option.indexOf(':');
        int split = equals >= 0 ? equals : colon;
        if (split < 0) {
            return "unknown security option";
        }
        String key = option.substring(0, split);
        String value = option.substring(split + 1);
        switch (key) {
            case "no-new-privileges":
                // Go's strconv.ParseBool true spellings; false or junk is refused.
                return Set.of("1", "t", "T", "TRUE", "true", "True").contains(value) ? null
                        : "turning no-new-privileges off is not allowed";
            case "seccomp":
                return value.equals("builtin") ? null : "only the default seccomp profile is allowed";
            case "apparmor":
                return value.equals("docker-default") ? null : "only the docker-default AppArmor profile is allowed";
            case "label":
                return "SELinux label options are not allowed";
            case "systempaths":
                return "unmasking /proc and /sys paths is not allowed";
            default:
                return "unknown security option";
        }
    }

    /**
     * Exec users are "user[:group]". The user part is root when it is "root" or a number the
     * runtime reads as 0 ("0", "00", "+0", "-0": Go's strconv.Atoi). Numbers are only accepted
     * in plain positive form (1..2147483647); names other than root are accepted, since the proxy
     * cannot read the container's /etc/passwd (see README).
     */
    static boolean mayBeRoot(String user) {
        int colon = user.indexOf(':');
        String name = colon < 0 ? user : user.substring(0, colon);
        if (name.isEmpty() || name.equals("root")) {
            return true;
        }
        char first = name.charAt(0);
        boolean numeric = first == '+' || first == '-' || (first >= '0' && first <= '9');
        if (!numeric) {
            return false;
        }
        if (!name.matches("[1-9][0-9]{0,9}")) {
            return true;
        }
        return Long.parseLong(name) > Integer.MAX_VALUE;
    }

    /**
     * Whether a query (as forwarded, percent-encoded) has a parameter with this decoded name.
     * Go's url.ParseQuery splits at '&' and unescapes keys ('+' is a space); a key it cannot
     * decode is treated as matching, to err on the refusing side.
     */
    static boolean hasQueryParameter(String query, String name) {
        if (query == null || query.isEmpty()) {
            return false;
        }
        for (String pair : query.split("&", -1)) {
            int equals = pair.indexOf('=');
            String key = decodeQueryComponent(equals < 0 ? pair : pair.substring(0, equals));
            if (key == null || key.equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static String decodeQueryComponent(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int high = Character.digit(s.charAt(i + 1), 16);
                int low = Character.digit(s.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                out.write(high * 16 + low);
                i += 2;
            } else if (c == '+') {
                out.write(' ');
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
