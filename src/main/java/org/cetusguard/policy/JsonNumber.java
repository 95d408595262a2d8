package org.cetusguard.policy;

import java.math.BigDecimal;

/**
 * A JSON number, kept as the exact text the client sent (already checked against the RFC 8259
 * grammar). Keeping the text rather than a converted value means a re-serialised body carries
 * the very same number literal: the daemon's Go decoder parses {@code 1e2} and {@code 100}
 * differently (only the second fits an int64 field), so a rewrite must not change one into the
 * other. Nothing in the policy does arithmetic on numbers.
 */
public final class JsonNumber extends Number {
    private static final long serialVersionUID = 1L;

    private final String text;

    JsonNumber(String text) {
        this.text = text;
    }

    /** The literal as it appeared in the body. */
    public String text() {
        return text;
    }

    /**
     * Exact value. JSON puts no bound on exponents: this throws NumberFormatException beyond
     * BigDecimal's range ({@code 1e9999999999}), and methods such as {@code toBigInteger()} on a
     * huge but valid one ({@code 1e999999999}) can take very long. The policy never calls it.
     */
    public BigDecimal bigDecimalValue() {
        return new BigDecimal(text);
    }

    @Override
    public int intValue() {
        return bigDecimalValue().intValue();
    }

    @Override
    public long longValue() {
        return bigDecimalValue().longValue();
    }

    @Override
    public float floatValue() {
        return Float.parseFloat(text);
    }

    @Override
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    /** Equality of the literal text, not of the value: {@code 1.0} and {@code 1} differ. */
    @Override
    public boolean equals(Object other) {
        return other instanceof JsonNumber && ((JsonNumber) other).text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
