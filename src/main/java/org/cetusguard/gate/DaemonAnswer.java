package org.cetusguard.gate;

import java.util.List;

/**
 * An answer written as the daemon writes it, byte for byte: for a refusal that must not be told
 * apart from the daemon's own (a container out of scope looks missing). The adapter adds what it
 * adds to every answer of the daemon (a Date), nothing else.
 *
 * @param status  the daemon's status
 * @param headers the daemon's headers, name and value, in order, without Date, Content-Length and hop-by-hop ones
 * @param body    the body
 */
public record DaemonAnswer(int status, List<String[]> headers, byte[] body) {
    public DaemonAnswer {
        headers = List.copyOf(headers);
    }
}
