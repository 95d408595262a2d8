package org.cetusguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class GoValuesTest {
    @Test
    void parseBoolTakesExactlyGoSpellings() {
        for (String t : List.of("1", "t", "T", "TRUE", "true", "True")) {
            assertEquals(Boolean.TRUE, GoValues.parseBool(t), t);
        }
        for (String f : List.of("0", "f", "F", "FALSE", "false", "False")) {
            assertEquals(Boolean.FALSE, GoValues.parseBool(f), f);
        }
        for (String bad : List.of("", "yes", "no", "on", "tRUE", "TRUE ", " 1", "2")) {
            assertNull(GoValues.parseBool(bad), bad);
        }
    }

    @Test
    void atoiIsDecimalOnly() {
        assertEquals(7L, GoValues.atoi("7"));
        assertEquals(7L, GoValues.atoi("+7"));
        assertEquals(-7L, GoValues.atoi("-7"));
        assertEquals(7L, GoValues.atoi("007"));
        assertEquals(Long.MIN_VALUE, GoValues.atoi("-9223372036854775808"));
        for (String bad : List.of("", "+", "-", "0x7", "1_0", " 7", "7 ", "\u0663", "9223372036854775808", "1e3")) {
            assertNull(GoValues.atoi(bad), bad);
        }
    }

    @Test
    void parseFlagIntIsBaseZero() {
        assertEquals(31L, GoValues.parseFlagInt("0x1F"));
        assertEquals(31L, GoValues.parseFlagInt("0X1f"));
        assertEquals(15L, GoValues.parseFlagInt("0o17"));
        assertEquals(15L, GoValues.parseFlagInt("017"));
        assertEquals(5L, GoValues.parseFlagInt("0b101"));
        assertEquals(1000L, GoValues.parseFlagInt("1_000"));
        assertEquals(1L, GoValues.parseFlagInt("0x_1"));
        assertEquals(7L, GoValues.parseFlagInt("0_7"));
        assertEquals(-16L, GoValues.parseFlagInt("-0x10"));
        assertEquals(0L, GoValues.parseFlagInt("0"));
        assertEquals(0L, GoValues.parseFlagInt("-0"));
        assertEquals(6L, GoValues.parseFlagInt("+6"));
        assertEquals(Long.MIN_VALUE, GoValues.parseFlagInt("-9223372036854775808"));
        for (String bad : List.of("", "+", "08", "0x", "0b", "0b2", "0xg", "1__0", "_1", "1_", "0_", "0x_", "k",
                "9223372036854775808", " 1", "1.0", "\u0663", "0x\u212a")) {
            assertNull(GoValues.parseFlagInt(bad), bad);
        }
    }
}
