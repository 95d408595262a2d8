package org.cetusguard.config;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import joptsimple.OptionException;
import joptsimple.OptionParser;
import joptsimple.OptionSet;
import joptsimple.OptionSpec;
import org.cetusguard.log.Log;
import org.cetusguard.text.Escape;

/**
 * Command line and environment, with the Go original's semantics (SPEC.md, "Command line"):
 * every option accepts {@code -name value}, {@code -name=value}, {@code --name value} and
 * {@code --name=value}; each falls back to its environment variables, then to its default. The
 * options are those of the {@link Option} table, registered and resolved in loops.
 */
public final class OptionsParser {
    private OptionsParser() {
    }

    /** The options, and the arguments after them (for the tools that take some, e.g. check's METHOD PATH). */
    public record CommandLine(Options options, List<String> arguments) {
        public CommandLine {
            arguments = List.copyOf(arguments);
        }
    }

    /**
     * @param env the process environment; a name that is present counts even if its value is empty
     * @throws ConfigException for anything on the command line that Go's flag package would refuse,
     *     and for positional arguments (the original silently ignores them)
     */
    public static Options parse(String[] args, Map<String, String> env) throws ConfigException {
        CommandLine line = parseCommandLine(args, env);
        if (!line.arguments().isEmpty()) {
            throw new ConfigException("unexpected argument " + Escape.forMessage(line.arguments().get(0))
                    + ": only options are accepted (see -help)");
        }
        return line.options();
    }

    /** Like {@link #parse}, but keeps what follows the options (Go: everything from the first non-option on). */
    public static CommandLine parseCommandLine(String[] args, Map<String, String> env) throws ConfigException {
        List<String> normalized = new ArrayList<>();
        boolean help = normalize(args, normalized);

        // No abbreviations: "-rule" must not quietly mean "-rules" (or "-rules-file").
        OptionParser parser = new OptionParser(false);
        // Like Go, everything after the first non-option is positional.
        parser.posixlyCorrect(true);
        Map<Option, OptionSpec<String>> specs = new EnumMap<>(Option.class);
        for (Option option : Option.values()) {
            if (option.kind() == Option.Kind.HELP) {
                parser.accepts(option.flag());
            } else {
                specs.put(option, parser.accepts(option.flag()).withRequiredArg());
            }
        }
        OptionSet set;
        try {
            set = parser.parse(normalized.toArray(new String[0]));
        } catch (OptionException e) {
            throw new ConfigException("invalid command line: " + e.getMessage(), e);
        }

        Map<Option, Object> values = new EnumMap<>(Option.class);
        Map<Option, List<String>> origins = new EnumMap<>(Option.class);
        for (Option option : Option.values()) {
            if (option.kind() == Option.Kind.HELP) {
                values.put(option, help);
                origins.put(option, List.of(help ? "-help" : Options.DEFAULT_ORIGIN));
                continue;
            }
            List<String> given = set.valuesOf(specs.get(option));
            if (!given.isEmpty()) {
                values.put(option, fromFlag(option, given));
                origins.put(option, flagOrigins(option, given.size()));
                continue;
            }
            String variable = firstSet(env, option.env());
            Object fromEnv = variable == null ? null : fromEnv(option, variable, env.get(variable));
            if (fromEnv != null) {
                values.put(option, fromEnv);
                origins.put(option, List.of(variable));
            } else {
                Object value = defaultOf(option);
                values.put(option, value);
                origins.put(option, value instanceof List<?> list && list.isEmpty() ? List.of() : List.of(Options.DEFAULT_ORIGIN));
            }
        }
        List<String> arguments = new ArrayList<>();
        for (Object argument : set.nonOptionArguments()) {
            arguments.add(String.valueOf(argument));
        }
        return new CommandLine(new Options(values, origins), arguments);
    }

    /**
     * Puts the arguments into a shape jopt-simple parses the way Go's flag package does, and
     * rejects what Go would reject. Go lets booleans take a value only as {@code -flag=value}:
     * in {@code -no-builtin-rules false} the "false" is a positional argument. jopt cannot
     * tell the two forms apart once parsed, so a bare boolean becomes {@code --name=true} here
     * and booleans take a required argument in jopt. Values of other options are skipped
     * verbatim, so {@code -rules -version} still means the rule text "-version", as in Go.
     *
     * @return whether help was requested; like Go, parsing stops there
     */
    private static boolean normalize(String[] args, List<String> out) throws ConfigException {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--") || arg.equals("-") || !arg.startsWith("-")) {
                out.addAll(Arrays.asList(args).subList(i, args.length));
                return false;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            if (name.isEmpty() || name.startsWith("-")) {
                throw new ConfigException("bad option syntax: " + Escape.forMessage(arg));
            }
            Option option = Option.named(name);
            if (option == null) {
                throw new ConfigException("unknown option " + Escape.forMessage("-" + name) + " (see -help)");
            }
            switch (option.kind()) {
                case HELP:
                    out.add("--help");
                    return true;
                case BOOL:
                    out.add(eq < 0 ? "--" + name + "=true" : arg);
                    break;
                default:
                    out.add(arg);
                    if (eq < 0) {
                        if (i + 1 >= args.length) {
                            throw new ConfigException("option -" + name + " needs a value");
                        }
                        out.add(args[++i]);
                    }
            }
        }
        return false;
    }

    /** Go's usage text (flag.PrintDefaults), with the built-in defaults and the environment variables. */
    public static void printHelp(PrintStream out) {
        StringBuilder b = new StringBuilder("Usage of cetusguard:\n");
        for (Option option : Option.values()) {
            b.append(option.usageLines());
        }
        out.print(b);
    }

    // --- command line: an error names the option; the last occurrence wins, lists collect every one ---

    private static Object fromFlag(Option option, List<String> given) throws ConfigException {
        String name = "-" + option.flag();
        if (option.kind().repeatable()) {
            // The first occurrence replaces the environment's value, later ones add to it.
            return List.copyOf(given);
        }
        Object value = null;
        for (String text : given) {
            // Every occurrence must parse (Go stops at the first bad one).
            value = switch (option.kind()) {
                case STRING, ADDRESS -> text;
                case CHOICE -> choice(option, name, text);
                case BOOL -> {
                    Boolean parsed = GoValues.parseBool(text);
                    if (parsed == null) {
                        throw new ConfigException("invalid value " + Escape.forMessage(text) + " for option " + name
                                + ": expected one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False");
                    }
                    yield parsed;
                }
                case LEVEL, COUNT -> {
                    Long parsed = GoValues.parseFlagInt(text);
                    if (parsed == null) {
                        throw new ConfigException("invalid value " + Escape.forMessage(text) + " for option " + name + ": not an integer");
                    }
                    yield parsed;
                }
                case LIST, ADDRESSES, HELP -> throw new IllegalStateException(option.name());
            };
        }
        if (option.kind() == Option.Kind.LEVEL) {
            return level((Long) value, name + " " + value);
        }
        if (option.kind() == Option.Kind.COUNT) {
            long count = (Long) value;
            if (count < 1 || count > Integer.MAX_VALUE) {
                throw new ConfigException("invalid value " + count + " for option " + name + ": must be at least 1");
            }
            return (int) count;
        }
        return value;
    }

    private static List<String> flagOrigins(Option option, int count) {
        if (!option.kind().repeatable()) {
            return List.of("-" + option.flag());
        }
        List<String> origins = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            origins.add("-" + option.flag() + " #" + i);
        }
        return origins;
    }

    // --- environment: the first name that is set wins, even when empty ---

    private static String firstSet(Map<String, String> env, List<String> names) {
        for (String name : names) {
            if (env.containsKey(name)) {
                return name;
            }
        }
        return null;
    }

    /**
     * The value of an environment variable (or a default), or null when it does not parse and is
     * ignored: like Go's IntEnv and BoolEnv, but with a warning, so that it is not a mystery.
     * A variable holds one value even for a repeatable option (one address, one file, one
     * multi-line rules text).
     */
    private static Object fromEnv(Option option, String variable, String text) throws ConfigException {
        String ignoring = "ignoring " + variable + "=" + Escape.forMessage(text) + ": ";
        switch (option.kind()) {
            case STRING, ADDRESS:
                return text;
            case CHOICE:
                return choice(option, variable, text);
            case LIST, ADDRESSES:
                return List.of(text);
            case BOOL, HELP: {
                Boolean value = GoValues.parseBool(text);
                if (value == null) {
                    Log.warning(ignoring + "not a boolean, using " + option.defaultValue());
                }
                return value;
            }
            case LEVEL: {
                Long value = GoValues.atoi(text);
                if (value == null) {
                    Log.warning(ignoring + "not an integer, using " + option.defaultValue());
                    return null;
                }
                return level(value, variable + "=" + value);
            }
            case COUNT: {
                Long value = GoValues.atoi(text);
                if (value == null || value < 1 || value > Integer.MAX_VALUE) {
                    Log.warning(ignoring + "not an integer of at least 1, using " + option.defaultValue());
                    return null;
                }
                return value.intValue();
            }
            default:
                throw new IllegalStateException(option.name());
        }
    }

    /** The typed default: the table's text read as the environment's would be (a repeatable option's "" is none). */
    private static Object defaultOf(Option option) throws ConfigException {
        if (option.kind().repeatable()) {
            return option.defaultValue().isEmpty() ? List.of() : List.of(option.defaultValue());
        }
        return fromEnv(option, Options.DEFAULT_ORIGIN, option.defaultValue());
    }

    /** "" (off) or one of the option's choices; anything else is an error wherever it came from. */
    private static String choice(Option option, String origin, String text) throws ConfigException {
        if (text.isEmpty() || option.choices().contains(text)) {
            return text;
        }
        throw new ConfigException("invalid " + origin + " " + Escape.forMessage(text) + ": expected "
                + String.join(" or ", option.choices()));
    }

    /**
     * A syslog level. The Go original takes any integer and uses the nearest of 0..7, and deployments
     * may rely on that (CETUSGUARD_LOG_LEVEL=10 for "everything"), so an out-of-range level is still
     * accepted; above 7 it is warned about, naming the range. Below 0 it means "log nothing", which
     * a warning would contradict.
     */
    private static int level(long value, String given) {
        int level = (int) Math.max(Log.NONE, Math.min(Log.DEBUG, value));
        if (value > Log.DEBUG) {
            Log.warning(given + " is out of range " + Log.NONE + " to " + Log.DEBUG + " (0 none, 2 critical, 3 error,"
                    + " 4 warning, 6 info, 7 debug): using " + level);
        }
        return level;
    }
}
