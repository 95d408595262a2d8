package org.cetusguard.policy;

/**
 * Host paths as the daemon reads them. The daemon cleans a bind source lexically with Go's
 * {@code path.Clean} before mounting it (moby daemon/volume/mounts/linux_parser.go,
 * parseMountSpec), so the same lexical cleaning here yields the path the kernel is given.
 * Symbolic links are not resolved: the proxy may not even see the host's filesystem. That is
 * why the README warns against allowing directories that containers can write to.
 */
final class HostPaths {
    private HostPaths() {
    }

    /**
     * The cleaned absolute path, or null when the text is not a plain absolute Unix path: it must
     * start with '/', and must not contain a backslash (moby's validation turns '\' into '/'
     * before checking, while the mount uses it as is: two readings), NUL or other control
     * characters.
     */
    static String clean(String path) {
        if (path == null || !path.startsWith("/")) {
            return null;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' || c < 0x20 || c == 0x7f) {
                return null;
            }
        }
        // Go's path.Clean for a rooted path: drop empty and "." segments, let ".." remove the
        // previous segment, and never climb above the root.
        StringBuilder out = new StringBuilder();
        int[] starts = new int[path.length() + 1];
        int depth = 0;
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (depth > 0) {
                    depth--;
                    out.setLength(starts[depth]);
                }
                continue;
            }
            starts[depth++] = out.length();
            out.append('/').append(segment);
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    /** Both arguments cleaned. True when {@code path} is {@code root} or inside it. */
    static boolean isUnder(String path, String root) {
        if (root.equals("/")) {
            return true;
        }
        return path.equals(root) || path.startsWith(root + "/");
    }
}
