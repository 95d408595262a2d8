package org.cetusguard.policy;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Image references as the daemon reads them (docker/distribution's reference package, as vendored by
 * moby 20.10: ParseNormalizedNamed, splitDockerDomain, the reference grammar), and the spellings under
 * which it finds the same name, which is what allow-image patterns are matched against.
 */
final class ImageNames {
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN = DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*(?::[0-9]+)?";
    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
    /** domain / path : tag @ digest, each part a group; the domain is required here (the text is normalised first). */
    private static final Pattern REFERENCE = Pattern.compile("^(" + DOMAIN + ")/(" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT
            + ")*)(?::(" + TAG + "))?(?:@(" + DIGEST + "))?$");
    private static final Pattern FULL_ID = Pattern.compile("^[a-f0-9]{64}$");
    /** An image ID or the start of one, as the daemon's image store looks it up (with or without the algorithm). */
    private static final Pattern ID_LIKE = Pattern.compile("^(?:sha256:[a-fA-F0-9]*|[a-fA-F0-9]+)$");
    private static final int NAME_TOTAL_LENGTH_MAX = 255;
    private static final String DOCKER_HUB = "docker.io";

    /** A normalised reference: {@code domain/path}, and a tag and/or digest (null when absent). */
    record Reference(String domain, String path, String tag, String digest) {
        String name() {
            return domain + "/" + path;
        }
    }

    private ImageNames() {
    }

    /**
     * Text the daemon may read as an image ID or the start of one (its image store looks up any hex
     * prefix, with or without "sha256:", when no name matches): such text names whatever image has
     * that ID when the container is created, so it is only judged by the image it names now.
     */
    static boolean looksLikeId(String text) {
        return ID_LIKE.matcher(text).matches();
    }

    /**
     * Whether the daemon could resolve {@code text} to an image at all: an ID-like text or a valid
     * reference. Anything else fails the daemon's own parsing, so it is refused without asking (and
     * only such texts are ever put in a request to the daemon: they hold no "." segment or "//").
     */
    static boolean resolvable(String text) {
        return looksLikeId(text) || parse(text) != null;
    }

    /** ParseNormalizedNamed: the reference the daemon reads from {@code text}, or null when it is not one. */
    static Reference parse(String text) {
        if (FULL_ID.matcher(text).matches()) {
            return null;
        }
        int slash = text.indexOf('/');
        String domain;
        String remainder;
        // splitDockerDomain: a first component without '.' or ':' that is not "localhost" is a path on Docker Hub.
        if (slash < 0 || (text.substring(0, slash).indexOf('.') < 0 && text.substring(0, slash).indexOf(':') < 0
                && !text.substring(0, slash).equals("localhost"))) {
            domain = DOCKER_HUB;
            remainder = text;
        } else {
            domain = text.substring(0, slash);
            remainder = text.substring(slash + 1);
        }
        if (domain.equals("index.docker.io")) {
            domain = DOCKER_HUB;
        }
        if (domain.equals(DOCKER_HUB) && remainder.indexOf('/') < 0) {
            remainder = "library/" + remainder;
        }
        int colon = remainder.indexOf(':');
        String remoteName = colon < 0 ? remainder : remainder.substring(0, colon);
        if (!remoteName.toLowerCase(Locale.ROOT).equals(remoteName)) {
            return null;
        }
        Matcher m = REFERENCE.matcher(domain + "/" + remainder);
        if (!m.matches() || m.group(1).length() + 1 + m.group(2).length() > NAME_TOTAL_LENGTH_MAX) {
            return null;
        }
        return new Reference(m.group(1), m.group(2), m.group(3), m.group(4));
    }

    /**
     * Every spelling that names the same thing as {@code reference} to the daemon: with or without
     * {@code docker.io/} and {@code library/}, and without {@code :latest} when that is the tag. A tag
     * beside a digest is dropped: the daemon looks such a reference up by its digest alone.
     */
    static List<String> spellings(Reference reference) {
        List<String> names = new ArrayList<>();
        names.add(reference.name());
        if (reference.domain().equals(DOCKER_HUB)) {
            names.add(reference.path());
            if (reference.path().startsWith("library/") && reference.path().indexOf('/', "library/".length()) < 0) {
                names.add(reference.path().substring("library/".length()));
            }
        }
        List<String> out = new ArrayList<>();
        for (String name : names) {
            if (reference.digest() != null) {
                out.add(name + "@" + reference.digest());
            } else {
                String tag = reference.tag() == null ? "latest" : reference.tag();
                out.add(name + ":" + tag);
                if (tag.equals("latest")) {
                    out.add(name);
                }
            }
        }
        return out;
    }
}
