package org.cetusguard.gate;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one spelling of a request path that is both checked against the rules and forwarded.
 *
 * <p>The Go original matches its rules against a cleaned path but forwards the raw one, so any
 * spelling the daemon reads differently from the proxy ({@code %2e%2e}, {@code %2F}, {@code ;}
 * parameters, double encoding, ...) is a way round the rules. Here the raw path is decoded
 * exactly once and its dot-segments are resolved; that result, {@link #decoded()}, is what the
 * rules see, and {@link #encoded()} is the same path re-encoded so that the daemon (Go
 * net/http, which decodes once) ends up with exactly {@link #decoded()}. Every spelling that
 * could be read two ways is refused rather than guessed at.
 *
 * <p>Three steps, each a plain loop over the string: {@link #percentDecode}, then
 * {@link #resolveDotSegments}, then {@link #encode}. {@link #isAlreadyCanonical} skips all three
 * for the ordinary Docker API path, which needs none of them.
 */
public final class CanonicalPath {

    /** Thrown for a request path that is ambiguous or malformed; the proxy answers 400 with getMessage(). */
    public static final class RejectedPathException extends Exception {
        private static final long serialVersionUID = 1L;

        RejectedPathException(String message) {
            // No stack trace: this is a verdict on client input, not a fault in the proxy, and
            // a client can make us throw it on every request.
            super(message, null, false, false);
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String decoded;
    private final String encoded;

    private CanonicalPath(String decoded, String encoded) {
        this.decoded = decoded;
        this.encoded = encoded;
    }

    /** rawPath: the request-target's path exactly as received on the wire (still percent-encoded, no query, no fragment). */
    public static CanonicalPath of(String rawPath) throws RejectedPathException {
        if (rawPath == null || rawPath.isEmpty()) {
            throw new RejectedPathException("empty path");
        }
        // Rules only understand origin-form; "*" (asterisk-form) and "http://host/..."
        // (absolute-form) never reach the rules.
        if (rawPath.charAt(0) != '/') {
            throw new RejectedPathException("path must start with /");
        }
        if (isAlreadyCanonical(rawPath)) {
            return new CanonicalPath(rawPath, rawPath);
        }
        String decoded = resolveDotSegments(percentDecode(rawPath));
        return new CanonicalPath(decoded, encode(decoded));
    }

    /** The path the rules are matched against: percent-decoded exactly once, dot-segments resolved. */
    public String decoded() {
        return decoded;
    }

    /** The path forwarded to the daemon: decoded() re-encoded so the daemon, decoding once, sees exactly decoded(). */
    public String encoded() {
        return encoded;
    }

    @Override
    public String toString() {
        return decoded;
    }

    /**
     * True when decoding, dot-segment resolution and re-encoding would all leave rawPath
     * unchanged: only characters {@link #encode} keeps literally (so no '%'), no empty segment,
     * no "." or ".." segment. rawPath is known to start with '/'. Anything else, including
     * everything that must be rejected, goes the long way, which makes the decision.
     */
    private static boolean isAlreadyCanonical(String rawPath) {
        int n = rawPath.length();
        if (n == 1) {
            return true; // "/"
        }
        int segmentStart = 1;
        for (int i = 1; i <= n; i++) {
            if (i == n || rawPath.charAt(i) == '/') {
                int length = i - segmentStart;
                if (length == 0
                        || (length == 1 && rawPath.charAt(segmentStart) == '.')
                        || (length == 2 && rawPath.charAt(segmentStart) == '.' && rawPath.charAt(segmentStart + 1) == '.')) {
                    return false;
                }
                segmentStart = i + 1;
            } else if (!isKeptLiterally(rawPath.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes every %XX exactly once, then the bytes as UTF-8. Refuses what the daemon, a
     * second decoder, or a path normaliser could read differently from us.
     */
    private static String percentDecode(String rawPath) throws RejectedPathException {
        int n = rawPath.length();
        byte[] bytes = new byte[n]; // decoding never lengthens
        int length = 0;
        boolean nonAscii = false;
        for (int i = 0; i < n; i++) {
            char c = rawPath.charAt(i);
            if (c == '%') {
                if (i + 2 >= n) {
                    throw new RejectedPathException("invalid percent-encoding");
                }
                int high = hexValue(rawPath.charAt(i + 1));
                int low = hexValue(rawPath.charAt(i + 2));
                if (high < 0 || low < 0) {
                    throw new RejectedPathException("invalid percent-encoding");
                }
                int b = high * 16 + low;
                if (b < 0x80) {
                    checkEncodedAscii(b);
                } else {
                    nonAscii = true;
                }
                bytes[length++] = (byte) b;
                i += 2;
            } else {
                checkRawChar(c);
                bytes[length++] = (byte) c;
            }
        }
        if (!nonAscii) {
            return new String(bytes, 0, length, StandardCharsets.US_ASCII);
        }
        String text = decodeUtf8(bytes, length);
        // ASCII controls were refused byte by byte above; U+0080..U+009F (C1 controls, e.g.
        // %C2%85 NEL) can only show up after UTF-8 decoding.
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw new RejectedPathException("control character in path");
            }
        }
        return text;
    }

    /** A literal character on the wire. A well-formed request target is printable ASCII. */
    private static void checkRawChar(char c) throws RejectedPathException {
        if (c < 0x20 || c == 0x7F) {
            throw new RejectedPathException("control character in path");
        }
        if (c > 0x7F) {
            throw new RejectedPathException("non-ASCII character in path");
        }
        switch (c) {
            case ' ':
                throw new RejectedPathException("space in path");
            case '\\':
                // Some servers and frameworks treat '\' as a separator.
                throw new RejectedPathException("backslash in path");
            case ';':
                // Path parameters: some servers strip "..;" and "/x;y" forms before routing.
                throw new RejectedPathException("semicolon in path");
            case '?':
            case '#':
                // The query and fragment were split off by the parser; one left over means the
                // request target was not parsed the way we think.
                throw new RejectedPathException("'" + c + "' in path");
            default:
                // Other printable ASCII (including '"', '[', ']', '{', '|', ...) means itself;
                // encode() spells it %XX where RFC 3986 wants that.
        }
    }

    /** An ASCII byte that arrived as %XX. */
    private static void checkEncodedAscii(int b) throws RejectedPathException {
        if (b < 0x20 || b == 0x7F) {
            throw new RejectedPathException("control character in path");
        }
        switch (b) {
            case '/':
                // %2F would be a separator to any peer that decodes before splitting.
                throw new RejectedPathException("encoded slash in path");
            case '\\':
                throw new RejectedPathException("encoded backslash in path");
            case '.':
                // Otherwise %2e%2e, .%2e, ... would be a second spelling of "..": dot-segments
                // exist only as literal dots, which resolveDotSegments sees.
                throw new RejectedPathException("encoded dot in path");
            case '%':
                // %25 means the client encoded twice; a second decode anywhere would differ from us.
                throw new RejectedPathException("encoded percent in path");
            case ';':
                throw new RejectedPathException("encoded semicolon in path");
            default:
                // Everything else (%20, %3F, %23, %41, ...) is a plain character of a name.
        }
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    /**
     * Strict UTF-8: the JDK decoder with REPORT refuses overlong forms (%C0%AE is not '.'),
     * encoded surrogates, code points above U+10FFFF and truncated sequences, instead of
     * replacing them with U+FFFD. A new decoder per call because decoders are not thread-safe;
     * only paths with non-ASCII bytes get here.
     */
    private static String decodeUtf8(byte[] bytes, int length) throws RejectedPathException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new RejectedPathException("invalid UTF-8 in path");
        }
    }

    /**
     * RFC 3986 remove_dot_segments, segment by segment. path starts with '/' and, because %2F
     * was refused, every '/' in it is a real separator; because %2E was refused, every "." or
     * ".." segment in it was literal on the wire.
     */
    private static String resolveDotSegments(String path) throws RejectedPathException {
        int n = path.length();
        if (n == 1) {
            return path; // "/"
        }
        StringBuilder out = new StringBuilder(n); // holds "/seg/seg...", or "" for the root
        boolean endsWithDotSegment = false;
        int segmentStart = 1;
        while (true) {
            int segmentEnd = path.indexOf('/', segmentStart);
            if (segmentEnd < 0) {
                segmentEnd = n;
            }
            int length = segmentEnd - segmentStart;
            if (length == 0) {
                // "//" or a trailing '/': routers differ on whether "/a//b" is "/a/b" and "/a/" is "/a".
                throw new RejectedPathException("empty segment in path");
            }
            if (length == 1 && path.charAt(segmentStart) == '.') {
                endsWithDotSegment = true;
            } else if (length == 2 && path.charAt(segmentStart) == '.' && path.charAt(segmentStart + 1) == '.') {
                if (out.length() == 0) {
                    // Clamping at the root, as RFC 3986 does, would give one path two readings.
                    throw new RejectedPathException("dot-segment climbs above root");
                }
                out.setLength(out.lastIndexOf("/"));
                endsWithDotSegment = true;
            } else {
                out.append(path, segmentStart - 1, segmentEnd); // the segment with its leading '/'
                endsWithDotSegment = false;
            }
            if (segmentEnd == n) {
                break;
            }
            segmentStart = segmentEnd + 1;
        }
        if (out.length() == 0) {
            return "/";
        }
        if (endsWithDotSegment) {
            // RFC 3986 turns "/a/b/.." and "/a/." into "/a/", a trailing slash we would refuse
            // if it came on the wire; refuse it here too rather than pick "/a" or "/a/".
            throw new RejectedPathException("dot-segment leaves trailing slash");
        }
        return out.toString();
    }

    /**
     * Spells decoded so that one decode gives it back: RFC 3986 pchar minus ';' (stripped as a
     * parameter by some servers) and '%' (never literal), plus '/' as the separator, stay as
     * they are; every other UTF-8 byte becomes %XX, uppercase. Returns decoded itself when
     * nothing needs encoding.
     */
    private static String encode(String decoded) {
        int n = decoded.length();
        int i = 0;
        while (i < n && isKeptLiterally(decoded.charAt(i))) {
            i++;
        }
        if (i == n) {
            return decoded;
        }
        byte[] utf8 = decoded.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(utf8.length * 3);
        for (byte b : utf8) {
            int v = b & 0xFF;
            if (v < 0x80 && isKeptLiterally((char) v)) {
                out.append((char) v);
            } else {
                out.append('%').append(HEX[v >> 4]).append(HEX[v & 0xF]);
            }
        }
        return out.toString();
    }

    /** unreserved, sub-delims except ';', ':' and '@' (RFC 3986 pchar without pct-encoded), and '/'. */
    private static boolean isKeptLiterally(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        switch (c) {
            case '-': case '.': case '_': case '~':
            case '!': case '$': case '&': case '\'': case '(': case ')':
            case '*': case '+': case ',': case '=':
            case ':': case '@':
            case '/':
                return true;
            default:
                return false;
        }
    }
}
