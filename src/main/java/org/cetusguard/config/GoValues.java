package org.cetusguard.config;

/**
 * Go's strconv rules for the few value types the options use. Existing deployments pass values
 * the Go original accepted (e.g. CETUSGUARD_NO_BUILTIN_RULES=1, -log-level=0x7), so the accepted
 * spellings must be exactly Go's, neither more (Boolean.parseBoolean("yes")) nor fewer.
 */
final class GoValues {
    private GoValues() {
    }

    /** strconv.ParseBool; null if not one of Go's spellings. */
    static Boolean parseBool(String s) {
        switch (s) {
            case "1", "t", "T", "TRUE", "true", "True":
                return Boolean.TRUE;
            case "0", "f", "F", "FALSE", "false", "False":
                return Boolean.FALSE;
            default:
                return null;
        }
    }

    /** strconv.Atoi (base 10, optional sign, 64-bit), as used for environment values; null if invalid. */
    static Long atoi(String s) {
        String digits = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return parse(s.startsWith("-"), digits, 10);
    }

    /**
     * strconv.ParseInt(s, 0, 64), as the flag package uses for int options: optional sign, then
     * 0b/0o/0x prefixes or a leading 0 for octal, '_' allowed between digits. Null if invalid.
     * A line-by-line port of Go's ParseUint/underscoreOK.
     */
    static Long parseFlagInt(String s) {
        String body = s;
        boolean negative = false;
        if (!body.isEmpty() && (body.charAt(0) == '+' || body.charAt(0) == '-')) {
            negative = body.charAt(0) == '-';
            body = body.substring(1);
        }
        if (body.isEmpty()) {
            return null;
        }
        int base = 10;
        if (body.charAt(0) == '0') {
            char prefix = body.length() >= 3 ? lower(body.charAt(1)) : 0;
            base = prefix == 'b' ? 2 : prefix == 'o' ? 8 : prefix == 'x' ? 16 : 8;
            body = body.substring(prefix == 'b' || prefix == 'o' || prefix == 'x' ? 2 : 1);
        }
        StringBuilder digits = new StringBuilder();
        boolean underscores = false;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '_') {
                underscores = true;
                continue;
            }
            int d = c >= '0' && c <= '9' ? c - '0' : lower(c) >= 'a' && lower(c) <= 'z' ? lower(c) - 'a' + 10 : Integer.MAX_VALUE;
            if (d >= base) {
                return null;
            }
            digits.append(c);
        }
        if (underscores && !underscoreOk(s)) {
            return null;
        }
        return digits.length() == 0 ? Long.valueOf(0) : parse(negative, digits.toString(), base);
    }

    /** Go's underscoreOK: every '_' sits between digits, a base prefix counting as a digit. */
    private static boolean underscoreOk(String s) {
        String body = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-') ? s.substring(1) : s;
        char saw = '^';
        int i = 0;
        boolean hex = false;
        if (body.length() >= 2 && body.charAt(0) == '0' && "box".indexOf(lower(body.charAt(1))) >= 0) {
            i = 2;
            saw = '0';
            hex = lower(body.charAt(1)) == 'x';
        }
        for (; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c >= '0' && c <= '9' || hex && lower(c) >= 'a' && lower(c) <= 'f') {
                saw = '0';
            } else if (c == '_') {
                if (saw != '0') {
                    return false;
                }
                saw = '_';
            } else if (saw == '_') {
                return false;
            } else {
                saw = '!';
            }
        }
        return saw != '_';
    }

    /** ASCII-only lower-casing, as Go's strconv does ('K' (Kelvin sign) must not become 'k'). */
    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    private static Long parse(boolean negative, String digits, int base) {
        try {
            // Only ASCII digits reach here; Long.parseLong would also take other Unicode digits.
            return Long.parseLong((negative ? "-" : "") + digits, base);
        } catch (NumberFormatException e) {
            return null; // out of int64 range, as in Go
        }
    }
}
