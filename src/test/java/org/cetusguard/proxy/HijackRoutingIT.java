package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.UUID;

import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, design: whether a request is relayed as a hijacked stream is decided on the path the rules
 * judge, so every spelling of attach that the rules allow as attach is upgraded as attach.
 */
class HijackRoutingIT {
    @Test
    void anEncodedSpellingOfAttachIsUpgradedLikeAttach() throws Exception {
        DockerTestbed testbed = DockerTestbed.get();
        String c = "cg-route-" + UUID.randomUUID().toString().substring(0, 8);
        testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "run", "-d", "--name", c, "--network", "none", testbed.image(),
                "sleep", "60").requireOk();
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-log-level", "3",
                "-rules", "POST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/attach")) {
            for (String path : new String[] {"/attach", "/atta%63h"}) {
                try (RawClient client = RawClient.connect(proxy.port(0))) {
                    client.send("POST /v1.41/containers/" + c + path + "?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n"
                            + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n");
                    RawClient.Response head = client.readHead(Duration.ofSeconds(20));
                    assertNotNull(head, path);
                    assertEquals(101, head.status(), path + ": " + head);
                }
            }
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
    }
}
