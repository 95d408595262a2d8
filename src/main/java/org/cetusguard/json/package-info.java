/**
 * JSON exactly as the daemon's Go decoder reads it: {@link org.cetusguard.json.JsonParser} (strict,
 * refuses every body Go could read differently, bounded in bytes, depth and values),
 * {@link org.cetusguard.json.JsonDocument} (the parsed form: the bytes plus a compact index),
 * {@link org.cetusguard.json.KeyFolding} (which keys Go takes for the same field),
 * {@link org.cetusguard.json.JsonEdit} and {@link org.cetusguard.json.JsonWriter} (rewrites that
 * change only what they name). Depends on nothing else in the project.
 */
package org.cetusguard.json;
