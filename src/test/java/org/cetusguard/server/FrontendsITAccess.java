package org.cetusguard.server;

/** Lets tests in other packages send raw requests the way FrontendsIT does. */
public final class FrontendsITAccess {
    private FrontendsITAccess() {
    }

    public static String rawResponse(int port, String request) throws Exception {
        return FrontendsIT.rawResponse(port, request);
    }
}
