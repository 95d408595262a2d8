package org.cetusguard.gate;

import org.cetusguard.profile.ClientIdentity;

/**
 * A request as the gate judges it: nothing but what the decision depends on.
 *
 * @param method           the request method, exactly as sent (methods are case-sensitive)
 * @param rawPath          the request target's path as received, still percent-encoded
 * @param rawQuery         the query as received, or null
 * @param identity         who the client is, or null to judge it by the default profile
 * @param asksForTcpUpgrade whether it carries {@code Connection: Upgrade} and {@code Upgrade: tcp}
 * @param contentType      the (first) Content-Type header as sent, or null: a form body is read by the
 *                         daemon as query parameters
 */
public record GateRequest(String method, String rawPath, String rawQuery, ClientIdentity identity, boolean asksForTcpUpgrade,
                          String contentType) {
    public GateRequest(String method, String rawPath, String rawQuery, ClientIdentity identity, boolean asksForTcpUpgrade) {
        this(method, rawPath, rawQuery, identity, asksForTcpUpgrade, null);
    }

    /** A plain request judged by the default profile. */
    public static GateRequest of(String method, String rawPath, String rawQuery) {
        return new GateRequest(method, rawPath, rawQuery, null, false);
    }
}
