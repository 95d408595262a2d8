/**
 * Who a client is and what it is judged by: {@link org.cetusguard.profile.ClientProfiles} picks the
 * first {@link org.cetusguard.profile.Profile} (rules plus container policy) whose identity tests
 * ({@code IdentityTest}: listener, source CIDR, verified certificate names, Unix peer uid/gid) match a
 * {@link org.cetusguard.profile.ClientIdentity}; {@code ProfilesFile} reads the profiles file;
 * {@link org.cetusguard.profile.ProfileLoader} builds the whole set from the options and validates it
 * the same way at startup, on SIGHUP and in {@code cetusguard check}. Uses {@code rules} and {@code policy}.
 */
package org.cetusguard.profile;
