package org.cetusguard.policy;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import org.cetusguard.json.JsonWriter;

/**
 * restrict-binds (allow-bind, allow-bind-readonly), deny-volumes-from and restrict-volume-drivers:
 * which host paths a container may mount, and how.
 *
 * <p>The kernel follows symbolic links in a bind source when the daemon mounts it, so a path below
 * an allowed directory is only as safe as every component between the two. A directory containers
 * can write to (allow-bind) can hold a link planted by one container and bound by the next, and a
 * check made now says nothing about the moment of the mount (a container can swap a directory for a
 * link in between). So below such a directory nothing may be bound: only the directory itself,
 * which containers cannot replace (its parent is not theirs). Below a directory the operator
 * declares read-only to containers (allow-bind-readonly: every bind of it must be read-only, so no
 * container can write there) sub-paths may be bound, read-only; where the proxy sees that directory
 * it also walks the path without following links and refuses a link anywhere below it.
 */
final class MountCheck extends Check {
    /** Local-driver volume types that cannot reach the host's storage (no block device, no path). */
    private static final Set<String> SAFE_LOCAL_VOLUME_TYPES = Set.of("tmpfs", "nfs", "nfs4", "cifs", "smb3");

    private final boolean binds;
    private final boolean volumesFrom;
    private final boolean drivers;
    private final List<String> writable;
    private final List<String> readOnly;
    private final List<String> allowedDrivers;

    MountCheck(PolicySettings settings) {
        super(settings);
        binds = settings.on(Setting.RESTRICT_BINDS);
        volumesFrom = settings.on(Setting.DENY_VOLUMES_FROM);
        drivers = settings.on(Setting.RESTRICT_VOLUME_DRIVERS);
        writable = settings.values(Setting.ALLOW_BIND, String.class);
        readOnly = settings.values(Setting.ALLOW_BIND_READONLY, String.class);
        allowedDrivers = settings.values(Setting.ALLOW_VOLUME_DRIVER, String.class);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (binds) {
            host.forEachString("Binds", (i, spec) -> bindSpec(spec, host.pathOf("Binds") + "[" + i + "]"));
            // VolumesFrom copies every mount of another container, binds included, unseen.
            if (host.hasElements("VolumesFrom")) {
                throw Refusal.deny(host.pathOf("VolumesFrom"), "copying another container's mounts is not allowed while bind mounts are restricted");
            }
        }
        if (binds || drivers) {
            mounts(host, "Mounts");
        }
        if (volumesFrom && host.hasElements("VolumesFrom")) {
            throw Refusal.deny(host.pathOf("VolumesFrom"), "mounting volumes from another container is not allowed");
        }
        if (drivers) {
            driver(host.string("VolumeDriver"), host.pathOf("VolumeDriver"));
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if ((binds || drivers) && container != null) {
            mounts(container, "Mounts");
        }
    }

    @Override
    void volume(Node volume) throws Refusal {
        if (drivers) {
            driver(volume.string("Driver"), volume.pathOf("Driver"));
        }
        if (binds) {
            driverOptions(volume.string("Driver"), volume, "DriverOpts");
        }
    }

    /**
     * One HostConfig.Binds entry, parsed like moby's linuxParser.ParseMountRaw: split at ':' into at
     * most 4 parts; one part is an anonymous volume; with 2 or 3 parts the first is the source, a bind
     * when absolute and a named volume otherwise; the third is the mode, read-only when one of its
     * comma-separated options is "ro".
     */
    private void bindSpec(String spec, String where) throws Refusal {
        String[] parts = spec.split(":", 4);
        if (parts[0].isEmpty() || parts.length == 4) {
            throw Refusal.bad(where, JsonWriter.quote(spec) + " is not a valid bind specification");
        }
        if (parts.length == 1 || !parts[0].startsWith("/")) {
            return;
        }
        boolean ro = parts.length == 3 && List.of(parts[2].split(",")).contains("ro");
        hostPath(parts[0], ro, where);
    }

    /**
     * HostConfig.Mounts or ContainerSpec.Mounts. Mount types are compared exactly, like the daemon's
     * switch. Types that cannot reach host storage pass; "volume" is checked for its driver and for
     * local options that bind a host path; every other type (npipe, cluster, newer types) is refused
     * while bind mounts are restricted.
     */
    private void mounts(Node node, String field) throws Refusal {
        for (Node mount : node.objects(field)) {
            String type = mount.string("Type");
            if ("volume".equals(type)) {
                Node options = mount.object("VolumeOptions");
                Node driver = options == null ? null : options.object("DriverConfig");
                if (driver != null) {
                    if (drivers) {
                        driver(driver.string("Name"), driver.pathOf("Name"));
                    }
                    if (binds) {
                        driverOptions(driver.string("Name"), driver, "Options");
                    }
                }
            } else if (!binds || "tmpfs".equals(type) || "image".equals(type)) {
                continue;
            } else if ("bind".equals(type)) {
                String source = mount.string("Source");
                if (source == null || source.isEmpty()) {
                    throw Refusal.bad(mount.pathOf("Source"), "a bind mount needs a source");
                }
                Node options = mount.object("BindOptions");
                // ReadOnlyNonRecursive (API 1.44+) leaves mounts below the source writable: not read-only.
                boolean ro = mount.isTrue("ReadOnly") && (options == null || !options.isTrue("ReadOnlyNonRecursive"));
                hostPath(source, ro, mount.pathOf("Source"));
            } else {
                throw Refusal.deny(mount.pathOf("Type"), (type == null ? "a missing type" : JsonWriter.quote(type))
                        + " is not allowed while bind mounts are restricted");
            }
        }
    }

    private void driver(String name, String where) throws Refusal {
        if (name != null && !name.isEmpty() && !name.equals("local") && !allowedDrivers.contains(name)) {
            throw Refusal.deny(where, "volume driver " + JsonWriter.quote(name) + " is not allowed");
        }
    }

    /**
     * Volume driver options (POST /volumes/create DriverOpts, or a volume mount's DriverConfig). The
     * local driver mounts whatever it is told: "o=bind" (or "rbind") with a device path is a bind
     * mount of that host path, with no cleaning of the path (so ".." after a link goes where the link
     * goes: such paths are refused); a type such as ext4 with device /dev/sda1 mounts a host disk;
     * overlay takes host paths in "o". So, while bind mounts are restricted, local options are only
     * accepted for bind mounts the bind rules allow (read-only below a read-only directory: a volume is
     * mounted later by any container, so only its own "ro" option counts), tmpfs and network file
     * systems; a plugin driver's options are refused (a plugin may bind host paths too).
     */
    private void driverOptions(String driver, Node node, String field) throws Refusal {
        if (!node.hasEntries(field)) {
            return;
        }
        String where = node.pathOf(field);
        if (driver != null && !driver.isEmpty() && !driver.equals("local")) {
            throw Refusal.deny(where, "options for volume driver " + JsonWriter.quote(driver)
                    + " are not allowed while bind mounts are restricted (a driver can mount host paths)");
        }
        // The local driver's option names are exact ("type", "device", "o"), as are mount flags.
        String o = node.entry(field, "o");
        List<String> flags = List.of((o == null ? "" : o).split(","));
        if (flags.contains("remount") || flags.contains("move")) {
            throw Refusal.deny(where, "remount and move mount options are not allowed");
        }
        if (flags.contains("bind") || flags.contains("rbind")) {
            String device = node.entry(field, "device");
            if (device == null || device.isEmpty()) {
                throw Refusal.bad(where + ".device", "a bind volume needs a device path");
            }
            if (!device.equals(HostPaths.clean(device))) {
                throw Refusal.deny(where + ".device", JsonWriter.quote(device)
                        + ": a bind volume's path must be absolute and clean (no \".\", \"..\", \"//\" or trailing \"/\")");
            }
            hostPath(device, flags.contains("ro"), where + ".device");
            return;
        }
        String type = node.entry(field, "type");
        if (!SAFE_LOCAL_VOLUME_TYPES.contains(type == null ? "" : type)) {
            throw Refusal.deny(where, "a local volume of type " + JsonWriter.quote(type == null ? "" : type)
                    + " can mount host storage; allowed are bind mounts under the allowed paths, tmpfs, nfs, nfs4, cifs and smb3");
        }
    }

    /** Whether the daemon may mount host path {@code path} (read-only when {@code ro}); see the class comment. */
    private void hostPath(String path, boolean ro, String where) throws Refusal {
        String clean = HostPaths.clean(path);
        if (clean == null) {
            throw Refusal.deny(where, JsonWriter.quote(path) + ": a host path must be absolute, without backslashes or control characters");
        }
        if (writable.contains("/") || writable.contains(clean)) {
            return;
        }
        for (String root : writable) {
            if (HostPaths.isUnder(clean, root)) {
                throw Refusal.deny(where, "host path " + JsonWriter.quote(clean) + " is below " + JsonWriter.quote(root)
                        + ", which containers can write to: one could have put a symbolic link on the way. Bind "
                        + JsonWriter.quote(root) + " itself, or allow the directory with allow-bind-readonly");
            }
        }
        for (String root : readOnly) {
            if (HostPaths.isUnder(clean, root)) {
                if (!ro) {
                    throw Refusal.deny(where, "host path " + JsonWriter.quote(clean) + " may only be mounted read-only"
                            + " (allow-bind-readonly " + root + ")");
                }
                noLinkBelow(root, clean, where);
                return;
            }
        }
        throw Refusal.deny(where, "host path " + JsonWriter.quote(clean) + " is not under an allowed path");
    }

    private static void noLinkBelow(String root, String path, String where) throws Refusal {
        if (!HostPaths.visible(root)) {
            return; // the operator's word that containers cannot write there is all there is
        }
        String link;
        try {
            link = HostPaths.linkBelow(root, path);
        } catch (IOException e) {
            throw Refusal.deny(where, "host path " + JsonWriter.quote(path) + " cannot be examined: " + e.getClass().getSimpleName());
        }
        if (link != null) {
            throw Refusal.deny(where, "host path " + JsonWriter.quote(path) + " passes through symbolic link " + JsonWriter.quote(link));
        }
    }
}
