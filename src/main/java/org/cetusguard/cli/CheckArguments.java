package org.cetusguard.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.config.ConfigException;
import org.cetusguard.profile.ClientIdentity;
import org.cetusguard.text.Escape;

/**
 * What check's own options say ({@code --as KIND=VALUE}, repeatable, and {@code --body FILE}), taken out
 * of its arguments; the rest are the proxy's options, then METHOD and PATH.
 *
 * @param proxyOptions the arguments that are not check's own
 * @param identity     the client --as describes, or null (the default profile) when none is given
 * @param body         the file --body names, or null
 */
record CheckArguments(List<String> proxyOptions, ClientIdentity identity, Path body) {
    /** Takes check's own options (--as, --body) out of {@code args}; the rest are the proxy's options, METHOD and PATH. */
    static CheckArguments parse(String[] args) throws ConfigException {
        List<String> rest = new ArrayList<>();
        List<String> identity = new ArrayList<>();
        Path body = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : arg.startsWith("-") ? arg.substring(1) : null;
            String option = name == null ? null : name.contains("=") ? name.substring(0, name.indexOf('=')) : name;
            if (!"as".equals(option) && !"body".equals(option)) {
                rest.add(arg);
                continue;
            }
            String value;
            if (name.contains("=")) {
                value = name.substring(name.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new ConfigException("check: --" + option + " needs a value; " + CheckCommand.USAGE);
            }
            if (option.equals("as")) {
                identity.add(value);
            } else if (body != null) {
                throw new ConfigException("check: --body given twice");
            } else {
                body = Path.of(value);
            }
        }
        return new CheckArguments(rest, identity(identity), body);
    }

    /** The identity --as describes, or null (the default profile) when none is given. */
    private static ClientIdentity identity(List<String> parts) throws ConfigException {
        if (parts.isEmpty()) {
            return null;
        }
        String listener = null;
        InetAddress source = null;
        Integer uid = null;
        Integer gid = null;
        List<String> certificate = new ArrayList<>();
        for (String part : parts) {
            int equals = part.indexOf('=');
            if (equals < 1) {
                throw new ConfigException("check: --as takes KIND=VALUE, not " + Escape.forMessage(part) + "; " + CheckCommand.USAGE);
            }
            String kind = part.substring(0, equals);
            String value = part.substring(equals + 1);
            switch (kind) {
                case "listener" -> listener = value;
                case "source" -> source = address(value);
                case "uid" -> uid = number(kind, value);
                case "gid" -> gid = number(kind, value);
                case "subject" -> certificate.add("subject:" + value);
                case "dns", "email", "uri" -> certificate.add(kind + ":" + value);
                default -> throw new ConfigException("check: unknown --as kind " + Escape.forMessage(kind) + "; " + CheckCommand.USAGE);
            }
        }
        return new ClientIdentity(listener, source, certificate, uid, gid);
    }

    /** An IP address literal only: no name is looked up. */
    private static InetAddress address(String text) throws ConfigException {
        if (!text.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new ConfigException("check: --as source needs an IP address, not " + Escape.forMessage(text));
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new ConfigException("check: --as source needs an IP address, not " + Escape.forMessage(text));
        }
    }

    private static int number(String kind, String value) throws ConfigException {
        if (!value.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(value) > Integer.MAX_VALUE) {
            throw new ConfigException("check: --as " + kind + " needs a number, not " + Escape.forMessage(value));
        }
        return Integer.parseInt(value);
    }
}
