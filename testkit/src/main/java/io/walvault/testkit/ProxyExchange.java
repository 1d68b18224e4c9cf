package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One request that went through a {@link FaultProxy}, as its log keeps it: when its head was
 * read, its method and target, the status the client got ({@code 0} when it got none: a reset,
 * a held late write, a client that went away), the fault applied ({@code ""} for none) and what
 * else happened ({@code ""} for nothing), e.g. {@code reset after 1024 bytes} or the upstream
 * error. A late write adds a second entry when it is forwarded, whose status is the one S3
 * answered (and nobody received).
 */
public record ProxyExchange(Instant at, String method, String target, int status, String fault, String detail) {

    public ProxyExchange {
        requireNonNull(at, "at is null");
        requireNonNull(method, "method is null");
        requireNonNull(target, "target is null");
        requireNonNull(fault, "fault is null");
        requireNonNull(detail, "detail is null");
    }

    /** Whether a fault was applied to the request. */
    public boolean faulted() {
        return !fault.isEmpty();
    }

    @Override
    public String toString() {
        return at + " " + method + " " + target + " -> " + (status == 0 ? "no answer" : String.valueOf(status))
                + (fault.isEmpty() ? "" : " [" + fault + "]") + (detail.isEmpty() ? "" : " " + detail);
    }
}
