package org.cetusguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressTest {
    @Test
    void unix() throws ConfigException {
        Address a = Address.parse("unix:///var/run/docker.sock");
        assertTrue(a.isUnix());
        assertEquals(Path.of("/var/run/docker.sock"), a.path());
        assertEquals("unix:///var/run/docker.sock", a.toString());
        assertThrows(IllegalStateException.class, a::host);
        assertThrows(IllegalStateException.class, a::port);
    }

    @Test
    void tcp() throws ConfigException {
        Address a = Address.parse("tcp://127.0.0.1:2375");
        assertFalse(a.isUnix());
        assertEquals("127.0.0.1", a.host());
        assertEquals(2375, a.port());
        assertEquals("tcp://127.0.0.1:2375", a.toString());
        assertThrows(IllegalStateException.class, a::path);

        Address all = Address.parse("tcp://:2375");
        assertEquals("", all.host());
        assertEquals(2375, all.port());

        Address v6 = Address.parse("tcp://[::1]:2375");
        assertEquals("::1", v6.host());
        assertEquals(2375, v6.port());
        assertEquals("tcp://[::1]:2375", v6.toString());

        assertEquals("fe80::1%eth0", Address.parse("tcp://[fe80::1%eth0]:1").host());
        assertEquals("::", Address.parse("tcp://[::]:2375").host());
        assertEquals("::ffff:10.0.0.1", Address.parse("tcp://[::ffff:10.0.0.1]:1").host());
        assertEquals(0, Address.parse("tcp://localhost:0").port());
        assertEquals(65535, Address.parse("tcp://localhost:65535").port());
        assertEquals("docker", Address.parse("tcp://docker:2376/").host());
        assertEquals("my_host.example-1.com", Address.parse("tcp://my_host.example-1.com:1").host());
    }

    @Test
    void invalid() {
        List<String> bad = List.of("", "http://host:1", "host:1", "/var/run/docker.sock", "TCP://host:1", "UNIX:///x",
                "unix://", "unix://relative.sock", "unix:/x", "ssh://user@host", "npipe:////./pipe/docker_engine",
                "tcp://", "tcp://host", "tcp://host:", "tcp://host:65536", "tcp://host:-1", "tcp://host:+1", "tcp://host:abc",
                "tcp://host:99999999999", "tcp://::1:2375", "tcp://[::1]", "tcp://[::1]2375", "tcp://[::1]:", "tcp://[]:1",
                "tcp://[zz::1]:1", "tcp://[::1%]:1", "tcp://user@host:1", "tcp://host:1/path", "tcp://host:1?x", "tcp://ho%73t:1",
                "tcp://host :1", "tcp://host:1//", "unix:///a\u0000b");
        for (String addr : bad) {
            ConfigException e = assertThrows(ConfigException.class, () -> Address.parse(addr), addr);
            assertTrue(e.getMessage().startsWith("invalid address \""), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> Address.parse("http://x:1"));
        assertTrue(e.getMessage().contains("\"http://x:1\""), e.getMessage());
    }
}
