package org.cetusguard;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import org.cetusguard.cli.Commands;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.log.Log;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.rules.RuleException;
import org.cetusguard.server.CetusGuardServer;
import org.cetusguard.server.StartupException;
import sun.misc.Signal;

/** Command-line entry point: options, rules, server, and a clean exit on SIGTERM or SIGINT. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        spareJettyTheManagementBeans();
        if (Commands.isCommand(args)) {
            quietJetty(Log.WARNING);
            System.exit(Commands.run(args, System.getenv(), System.in, System.out, System.err));
            return;
        }
        Options options;
        try {
            options = OptionsParser.parse(args, System.getenv());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.err.println("Run with -help to list the options.");
            System.exit(2);
            return;
        }
        if (options.help()) {
            Commands.printUsage(System.out);
            return;
        }
        if (options.version()) {
            System.out.println("CetusGuard " + version());
            return;
        }
        Log.setLevel(options.logLevel());
        quietJetty(options.logLevel());
        try {
            // A value that parses but cannot work (an address) stops startup like a bad rule does,
            // naming the option or variable it came from.
            options.validate();
            CetusGuardServer server = new CetusGuardServer(options, loadRules(options));
            // Before the frontends open: once "serve on" is logged, a signal is never the JVM's default
            // (for HUP, exit).
            Signal.handle(new Signal("TERM"), signal -> shutdown(server, "terminated"));
            Signal.handle(new Signal("INT"), signal -> shutdown(server, "interrupt"));
            Signal.handle(new Signal("HUP"), signal -> reload(server, options));
            server.start();
            server.join();
        } catch (ConfigException | RuleException | StartupException e) {
            Log.critical(e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static ClientProfiles loadRules(Options options) throws RuleException {
        return ProfileLoader.load(options);
    }

    /**
     * Re-reads the rules from the same options and swaps them in atomically; a rule set that does not
     * load, or does not pass the checks startup makes (ProfileLoader.load does both), is refused with
     * an error and the old one stays. Requests in flight and open sessions keep the decision they
     * already have.
     */
    static void reload(CetusGuardServer server, Options options) {
        Log.info("hangup signal received, reloading rules");
        try {
            ClientProfiles profiles = loadRules(options);
            server.gate().setProfiles(profiles);
            server.metrics().rulesReloaded(true);
            Log.info("rules reloaded: " + profiles.defaultProfile().rules().rules().size() + " default rules, "
                    + profiles.profiles().size() + " profiles");
        } catch (RuleException e) {
            server.metrics().rulesReloaded(false);
            Log.error("rules not reloaded, keeping the previous ones: " + e.getMessage());
        }
    }

    private static void shutdown(CetusGuardServer server, String signal) {
        Log.info(signal + " signal received");
        server.stop();
        Log.info("exit");
        System.exit(0);
    }

    /**
     * Jetty sizes the padding of its queues from the cache line and, unless told how many references
     * fit in one, asks the platform MBean server whether oops are compressed. Starting the MBean server
     * loads ~220 JMX and JFR classes and costs ~80 ms of start-up and ~1 MiB for an answer that only
     * pads two queue indexes: 16 (64-byte lines, compressed oops, true for any heap this proxy uses).
     */
    private static void spareJettyTheManagementBeans() {
        if (System.getProperty("org.eclipse.jetty.util.referencesPerCacheLine") == null) {
            System.setProperty("org.eclipse.jetty.util.referencesPerCacheLine", "16");
        }
    }

    /** Maps our level onto Jetty's logger before any Jetty class reads its configuration. */
    private static void quietJetty(int level) {
        String jetty = level >= Log.WARNING ? "WARN" : level >= Log.ERROR ? "ERROR" : "OFF";
        if (System.getProperty("org.eclipse.jetty.LEVEL") == null) {
            System.setProperty("org.eclipse.jetty.LEVEL", jetty);
        }
    }

    public static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
