package org.cetusguard;

public final class Main {
    public static void main(String[] args) {
    }
}
