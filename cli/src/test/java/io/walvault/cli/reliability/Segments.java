package io.walvault.cli.reliability;

/** WAL segment names of 16 MiB segments. */
final class Segments {

    private Segments() {
    }

    /** The segment {@code n} after {@code segment} on the same timeline. */
    static String plus(String segment, int n) {
        long number = Long.parseLong(segment.substring(8, 16), 16) * 256 + Long.parseLong(segment.substring(16), 16) + n;
        return segment.substring(0, 8) + String.format("%08X%08X", number / 256, number % 256);
    }
}
