package org.cetusguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.junit.jupiter.api.Test;

/** A frontend that cannot be bound is named in the error, and the ones bound before it are released. */
class BindFailureTest {

    @Test
    void busyPortIsNamedAndEarlierFrontendsAreReleased() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int free;
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                free = probe.getLocalPort();
            }
            String busyAddr = "tcp://127.0.0.1:" + busy.getLocalPort();
            Options options = OptionsParser.parse(new String[] {
                "-frontend-addr", "tcp://127.0.0.1:" + free, "-frontend-addr", busyAddr}, Map.of());
            CetusGuardServer server = new CetusGuardServer(options, ProfileLoader.load(options));

            StartupException e = assertThrows(StartupException.class, server::start);
            assertTrue(e.getMessage().startsWith("cannot listen on " + busyAddr + ": "), e.getMessage());

            // The first frontend was bound, then closed again: its port is free.
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), free));
                assertEquals(free, again.getLocalPort());
            }
        }
    }

    @Test
    void busyMetricsPortIsNamedWithItsAddress() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String busyAddr = "tcp://127.0.0.1:" + busy.getLocalPort();
            Options options = OptionsParser.parse(new String[] {
                "-frontend-addr", "tcp://127.0.0.1:0", "-metrics-addr", busyAddr}, Map.of());
            CetusGuardServer server = new CetusGuardServer(options, ProfileLoader.load(options));

            StartupException e = assertThrows(StartupException.class, server::start);
            assertTrue(e.getMessage().startsWith("cannot listen on the metrics listener " + busyAddr + ": "), e.getMessage());
        }
    }
}
