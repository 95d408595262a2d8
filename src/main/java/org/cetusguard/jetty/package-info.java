/**
 * The one adapter over Jetty's internals ({@link org.cetusguard.jetty.JettyInternals}): what the proxy
 * and the server do below Jetty's public API, each item with its own test, so that a Jetty upgrade
 * fails in one place. The lowest room with Jetty in it: {@code server} and {@code proxy} use it, it
 * uses no room of ours.
 */
package org.cetusguard.jetty;
