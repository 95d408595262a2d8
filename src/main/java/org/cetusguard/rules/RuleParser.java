package org.cetusguard.rules;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.cetusguard.log.Log;
import org.cetusguard.text.Escape;

/** Turns rule text (from -rules, CETUSGUARD_RULES, rules files or the built-ins) into rules. */
public final class RuleParser {
    /** Far above any real rules file; stops a wrong path (a log, a disk image) from eating memory. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    /** A rule line quoted in a message is cut here: a mangled file can have one very long line. */
    private static final int QUOTE_LIMIT = 300;

    // The Go original's grammar, verbatim. Evaluated with RE2 so that '.' and the blank classes
    // behave exactly as in Go (e.g. a stray '\r' inside a line is part of the pattern).
    private static final Pattern RULE_LINE = Pattern.compile("^[\\t ]*([A-Z]+(?:,[A-Z]+)*)[\\t ]+(.+?)[\\t ]*$");
    private static final Pattern COMMENT_LINE = Pattern.compile("^[\\t ]*(?:!.*)?$");
    private static final Pattern INLINE_HASH = Pattern.compile("[\\t ]#");

    private static final List<String> BUILTIN_LINES = List.of(
            "GET,HEAD %API_PREFIX_PING%",
            "GET,HEAD %API_PREFIX_LIBPOD_PING%",
            "GET %API_PREFIX_VERSION%",
            "GET %API_PREFIX_LIBPOD_VERSION%",
            "GET %API_PREFIX_INFO%",
            "GET %API_PREFIX_LIBPOD_INFO%");

    private RuleParser() {
    }

    /** The rules loaded unless -no-builtin-rules is given. */
    public static List<Rule> builtins() {
        try {
            return parse(String.join("\n", BUILTIN_LINES), "built-in");
        } catch (RuleException e) {
            throw new IllegalStateException("built-in rules do not parse", e);
        }
    }

    /**
     * @param origin names the source in messages, e.g. "-rules #1" or "rules file /etc/x.rules"
     */
    public static List<Rule> parse(String text, String origin) throws RuleException {
        List<Rule> rules = new ArrayList<>();
        int lineNumber = 0;
        int start = 0;
        while (start <= text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline;
            // Split on \r?\n exactly like Go: only a '\r' right before '\n' is a line ending.
            int contentEnd = newline >= 0 && end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            lineNumber++;
            Rule rule = parseLine(text.substring(start, contentEnd), origin, lineNumber);
            if (rule != null) {
                rules.add(rule);
            }
            if (newline < 0) {
                break;
            }
            start = newline + 1;
        }
        return List.copyOf(rules);
    }

    /** Reads a rules file: a regular file, at most {@link #MAX_FILE_BYTES}, strict UTF-8. */
    public static List<Rule> parseFile(Path file) throws RuleException {
        String origin = "rules file " + Escape.forLog(file.toString());
        String text = readConfigFile(file, origin);
        // Go reads files with bufio.ScanLines, which also drops a '\r' ending the last line.
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        return parse(text, origin);
    }

    /**
     * Reads an operator's file (rules, profiles): a regular file (symlinks followed, like the Go
     * original's os.Open + Stat: a mounted secret is often a link), at most {@link #MAX_FILE_BYTES},
     * strict UTF-8. Errors name {@code origin} and say what is wrong.
     */
    public static String readConfigFile(Path file, String origin) throws RuleException {
        byte[] bytes;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new RuleException("cannot read " + origin + ": not a regular file");
            }
            // Read one byte past the limit instead of trusting the size: the file may grow meanwhile.
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            throw new RuleException("cannot read " + origin + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new RuleException("cannot read " + origin + ": permission denied", e);
        } catch (IOException | SecurityException e) {
            throw new RuleException("cannot read " + origin + ": " + describe(e), e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new RuleException("cannot read " + origin + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new RuleException("cannot read " + origin + ": not valid UTF-8", e);
        }
    }

    private static Rule parseLine(String line, String origin, int lineNumber) throws RuleException {
        if (COMMENT_LINE.matches(line)) {
            return null;
        }
        String where = "(" + origin + ", line " + lineNumber + ")";
        Matcher m = RULE_LINE.matcher(line);
        if (!m.matches()) {
            throw new RuleException("invalid rule line " + where + ": " + Escape.forMessage(line, QUOTE_LIMIT));
        }
        Set<String> methods = Set.copyOf(Arrays.asList(m.group(1).split(",")));
        String pattern = m.group(2);

        List<String> warnings = new ArrayList<>();
        Rule rule;
        try {
            String expanded = Variables.expand(pattern);
            Set<String> unknown = Variables.unknownVariables(pattern);
            if (!unknown.isEmpty()) {
                warnings.add("uses unknown variable(s) %" + String.join("%, %", unknown) + "%, kept as literal text");
            }
            if (INLINE_HASH.matcher(pattern).find()) {
                warnings.add("contains \" #\": inline comments are not supported, the text is part of the regex and this"
                        + " rule will likely never match (put comments on their own line starting with '!')");
            }
            rule = new Rule(methods, expanded, line, origin, lineNumber, warnings);
        } catch (PatternSyntaxException | IllegalArgumentException e) {
            // RE2's reason quotes the offending fragment raw (sometimes the whole expanded
            // pattern), so it is escaped and shortened as well.
            String reason = e.getMessage().length() > 300 ? e.getMessage().substring(0, 300) + "..." : e.getMessage();
            throw new RuleException("invalid rule pattern " + where + ": " + Escape.forMessage(line, QUOTE_LIMIT) + ": "
                    + Escape.forMessageText(reason), e);
        }
        for (String warning : warnings) {
            Log.warning("rule " + where + " " + warning + ": " + Escape.forMessage(line, QUOTE_LIMIT));
        }
        Log.debug("loaded rule: " + rule);
        return rule;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return Escape.forMessageText(message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message);
    }
}
