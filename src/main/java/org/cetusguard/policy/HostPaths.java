package org.cetusguard.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Host paths as the daemon reads them. The daemon cleans a bind source lexically with Go's
 * {@code path.Clean} before mounting it (moby volume/mounts/linux_parser.go, parseMountSpec), so the
 * same lexical cleaning here yields the path the kernel is given; the kernel then follows any
 * symbolic link on the way, which is why {@link #linkBelow} exists.
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

    /**
     * Walks from {@code root} down to {@code path} (both cleaned, {@code path} under {@code root})
     * without following links, as the proxy sees the filesystem. Returns the first component below
     * the root that is a symbolic link, or null when there is none; components that do not exist end
     * the walk (the daemon creates missing directories itself, following no link to do so).
     *
     * @throws IOException when a component cannot be examined (so nobody can tell)
     */
    static String linkBelow(String root, String path) throws IOException {
        Path current = Path.of(root);
        String rest = root.equals("/") ? path.substring(1) : path.substring(Math.min(path.length(), root.length() + 1));
        if (rest.isEmpty()) {
            return null;
        }
        for (String segment : rest.split("/")) {
            current = current.resolve(segment);
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(current, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                return null;
            }
            if (attributes.isSymbolicLink()) {
                return current.toString();
            }
        }
        return null;
    }

    /** Whether the proxy sees a directory at {@code root} (it runs on the host, or the directory is mounted at the same path). */
    static boolean visible(String root) {
        return Files.isDirectory(Path.of(root));
    }

    /** Both arguments cleaned. True when {@code path} is {@code root} or inside it. */
    static boolean isUnder(String path, String root) {
        if (root.equals("/")) {
            return true;
        }
        return path.equals(root) || path.startsWith(root + "/");
    }
}
