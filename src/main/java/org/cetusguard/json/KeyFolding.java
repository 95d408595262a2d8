package org.cetusguard.json;

/**
 * When Go's {@code encoding/json} takes two object keys for the same struct field. Go folds each
 * rune as {@code unicode.ToUpper(unicode.ToLower(r))} (Go 1.21+; older versions use
 * {@code bytes.EqualFold}, whose classes are the same for the names that matter here). So besides
 * ASCII case, U+017F 'ſ' matches 's', U+212A KELVIN SIGN matches 'k', and U+0130 'İ' / U+0131 'ı'
 * match 'i'. Java's simple case mappings give the same result for all of these.
 */
public final class KeyFolding {
    private KeyFolding() {
    }

    /** The folded form of one code point. */
    public static int fold(int codePoint) {
        if (codePoint < 0x80) {
            return codePoint >= 'a' && codePoint <= 'z' ? codePoint - ('a' - 'A') : codePoint;
        }
        return Character.toUpperCase(Character.toLowerCase(codePoint));
    }

    /** The folded form of a name: two names are the same field to Go when their folded forms are equal. */
    public static String fold(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int folded = fold(cp);
            if (folded != cp && out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (out != null) {
                out.appendCodePoint(folded);
            }
            i += Character.charCount(cp);
        }
        return out == null ? s : out.toString();
    }

    /** Whether Go would decode key {@code a} and key {@code b} into the same struct field. */
    public static boolean sameField(String a, String b) {
        return a.equals(b) || fold(a).equals(fold(b));
    }
}
