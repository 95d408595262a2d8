package org.cetusguard.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file a Unix frontend binds to. A stale socket left by a crash is replaced; anything else at
 * that path (a live socket, a regular file, a directory) is someone else's and is never deleted.
 */
final class UnixSocketFile {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocketFile() {
    }

    /** Makes the path free to bind, or explains why it cannot be. */
    static void prepare(Path path) throws StartupException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new StartupException("cannot listen on unix://" + path + ": directory " + parent + " does not exist");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw new StartupException("cannot listen on unix://" + path + ": the path exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new StartupException("cannot listen on unix://" + path + ": another process is listening on it");
        } catch (IOException refused) {
            // Nobody answers: the socket was left behind by a process that is gone.
        }
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new StartupException("cannot remove stale socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** Owner and group may connect, others may not: the socket is as sensitive as the daemon's own. */
    static void restrict(Path path) throws StartupException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            throw new StartupException("cannot set permissions of " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean isSocket(Path path) throws StartupException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (IOException | UnsupportedOperationException e) {
            throw new StartupException("cannot inspect " + path + ": " + e.getMessage(), e);
        }
    }
}
