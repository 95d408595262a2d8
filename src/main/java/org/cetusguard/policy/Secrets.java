package org.cetusguard.policy;

import java.util.Set;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/**
 * What redact-env hides in the strings of an answer, and how: pure string functions, one per kind
 * of string, each returning its input unchanged when there is nothing to hide.
 *
 * <ul>
 *   <li>{@link #environmentEntry}: {@code NAME=value} becomes {@code NAME=} + {@link #MARKER}; an
 *       entry without {@code =} has no value and stays; names given to show-env stay whole.</li>
 *   <li>{@link #arguments}: the words of a command (the elements of Cmd, Entrypoint, Args, a
 *       healthcheck, an exec's arguments, or one command line as a whole). A word is a run of
 *       non-blanks (quotes and parentheses of a shell line around it aside). The value is hidden
 *       (a) of a word {@code NAME=VALUE} whose NAME, up to the first {@code =}, contains a
 *       {@linkplain #SECRET_NAME secret-looking name} ({@code --db-password=x}, {@code -Dapi.token=x},
 *       {@code AWS_SECRET_ACCESS_KEY=x}): VALUE becomes the marker; (b) after a word that starts
 *       with {@code -} and contains a secret-looking name but no {@code =} ({@code --password x},
 *       {@code -token x}): the next word, in the same string or the first of the next element,
 *       becomes the marker, whatever it starts with. A value that opens a quote is hidden to the
 *       matching quote, blanks and all; quotes, parentheses and semicolons closing after a value
 *       stay. Not recognised: a value after an escaped quote inside quotes, a secret in a variable
 *       or option whose name says nothing ({@code -p x}, {@code mysql -pSECRET}).</li>
 *   <li>{@link #instruction}: a build instruction as image histories, {@code ContainerConfig.Cmd}
 *       and {@code OnBuild} record it: from an {@code ENV} instruction ({@code ENV A=1 B=2},
 *       {@code #(nop)  ENV A 1}, any case) to the end of the string becomes {@code ENV} and the
 *       marker, since the builders write values with blanks unquoted and names cannot be told
 *       from values; the rest of the string as {@link #arguments}.</li>
 * </ul>
 */
public final class Secrets {
    /** What stands in for every hidden value. */
    public static final String MARKER = "[redacted by CetusGuard]";

    /**
     * Names that make a value secret, anywhere in an option or variable name, in any case: pass,
     * password, passwd, passphrase, secret, token, api key, access key, private key, credential(s),
     * auth (so also authorization, author: hiding too much is the safe side).
     */
    static final Pattern SECRET_NAME = Pattern.compile(
            "(?i)pass(?:word|wd|phrase)?|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|credentials?|auth");
    private static final Pattern ENV_INSTRUCTION = Pattern.compile("(?i)(?:^|#\\(nop\\))\\s*ENV\\s");

    private Secrets() {
    }

    /** {@code NAME=value} with the value hidden unless NAME is in {@code shown}. */
    public static String environmentEntry(String entry, Set<String> shown) {
        int equals = entry.indexOf('=');
        if (equals < 0 || shown.contains(entry.substring(0, equals)) || entry.substring(equals + 1).equals(MARKER)) {
            return entry;
        }
        return entry.substring(0, equals + 1) + MARKER;
    }

    /** The words of one command, with secret values hidden; see the class comment. */
    public static String[] arguments(String[] elements) {
        String[] out = new String[elements.length];
        boolean hideNext = false;
        for (int i = 0; i < elements.length; i++) {
            Words words = new Words(elements[i], hideNext);
            out[i] = words.redacted();
            hideNext = words.hideNext;
        }
        return out;
    }

    /** One command line as a single string (a container list's Command, a ps line). */
    public static String arguments(String line) {
        return new Words(line, false).redacted();
    }

    /** A recorded build instruction: an ENV instruction's names and values hidden, then secret arguments. */
    public static String instruction(String text) {
        return arguments(envInstruction(text));
    }

    /** The words of a command whose elements may be build instructions: {@link #envInstruction} on each, then {@link #arguments(String[])}. */
    public static String[] instructions(String[] elements) {
        String[] cut = new String[elements.length];
        for (int i = 0; i < elements.length; i++) {
            cut[i] = envInstruction(elements[i]);
        }
        return arguments(cut);
    }

    /** From an ENV instruction to the end of the string: {@code ENV} and the marker. */
    static String envInstruction(String text) {
        Matcher env = ENV_INSTRUCTION.matcher(text);
        if (env.find()) {
            return text.substring(0, env.end() - 1) + " " + MARKER;
        }
        return text;
    }

    /** Scans the words of one string, hiding values as {@link #arguments(String[])} says. */
    private static final class Words {
        private final String text;
        private final StringBuilder out;
        boolean hideNext;

        Words(String text, boolean hideFirst) {
            this.text = text;
            this.out = new StringBuilder(text.length() + 16);
            this.hideNext = hideFirst;
        }

        String redacted() {
            int i = 0;
            int n = text.length();
            while (i < n) {
                if (Character.isWhitespace(text.charAt(i))) {
                    out.append(text.charAt(i++));
                    continue;
                }
                int end = wordEnd(i);
                if (hideNext) {
                    hideNext = false;
                    i = hide(i, end);
                    continue;
                }
                String word = text.substring(i, end);
                int equals = word.indexOf('=');
                if (equals >= 0 && SECRET_NAME.matcher(word.substring(0, equals)).find()) {
                    out.append(word, 0, equals + 1);
                    i = hide(i + equals + 1, end);
                    continue;
                }
                if (equals < 0 && isOption(word) && SECRET_NAME.matcher(word).find()) {
                    hideNext = true;
                }
                out.append(word);
                i = end;
            }
            return out.toString();
        }

        /** An option: starts with '-' once any quotes or parentheses a shell line wraps it in are passed. */
        private static boolean isOption(String word) {
            int i = 0;
            while (i < word.length() && (word.charAt(i) == '\'' || word.charAt(i) == '"' || word.charAt(i) == '(')) {
                i++;
            }
            return i < word.length() && word.charAt(i) == '-';
        }

        private int wordEnd(int start) {
            int i = start;
            while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            return i;
        }

        /**
         * Writes the marker for the value at [start, end): a value opening a quote runs to the matching
         * one, across blanks; quotes closing around it (a shell line's own) are kept. Returns where the
         * scan goes on.
         */
        private int hide(int start, int end) {
            if (start < text.length() && (text.charAt(start) == '"' || text.charAt(start) == '\'')) {
                char quote = text.charAt(start);
                int close = text.indexOf(quote, start + 1);
                if (close < 0) {
                    out.append(MARKER);
                    return text.length();
                }
                int stop = wordEnd(close);
                out.append(MARKER).append(text, close + 1, stop);
                return stop;
            }
            int keep = end;
            while (keep > start && (text.charAt(keep - 1) == '"' || text.charAt(keep - 1) == '\'' || text.charAt(keep - 1) == ')'
                    || text.charAt(keep - 1) == ';')) {
                keep--;
            }
            out.append(MARKER).append(text, keep, end);
            return end;
        }
    }
}
