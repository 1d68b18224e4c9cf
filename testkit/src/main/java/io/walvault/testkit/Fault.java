package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What a {@link FaultProxy} does to a request that a {@link FaultRule} picked, instead of
 * passing it through untouched. Values; create them with the static methods.
 *
 * <pre>
 *   fault                 reaches S3?              the client sees
 *   ─────────────────     ──────────────────────   ──────────────────────────────────────────
 *   Status                no                       an S3 XML error (503 SlowDown...)
 *   ResetRequest          no (or a part, dropped)  a reset while it sends the request
 *   ResetResponse         yes                      the first bytes of the answer, then a reset
 *   TruncateBody          yes                      the whole head, part of the body, then FIN
 *   CorruptBody           yes                      the answer with payload bytes flipped
 *   Stall                 yes, late                nothing for a while, then the answer
 *   StallResponse         yes                      nothing for a while, then the answer
 *   LateWrite             yes, after the client    no answer: held, then reset or left to time out
 *                         gave up
 * </pre>
 *
 * Byte counts of requests and responses include the head; "body" offsets count payload bytes
 * only (the same for a Content-Length body and a chunked one, whose chunk framing is kept).
 */
public sealed interface Fault permits Fault.Status, Fault.ResetRequest, Fault.ResetResponse, Fault.TruncateBody,
        Fault.CorruptBody, Fault.Stall, Fault.StallResponse, Fault.LateWrite {

    /**
     * Answers {@code status} with an S3 error document ({@code <Error><Code>code</Code>...}) and
     * does not forward the request. A request body is read and dropped, unless the client sent
     * {@code Expect: 100-continue}: then it never sends it, and the answer closes the connection.
     */
    record Status(int status, String code, String message) implements Fault {
        public Status {
            if (status < 300 || status > 599) {
                throw new IllegalArgumentException("status " + status + " is not an error status");
            }
            requireNonNull(code, "code is null");
            requireNonNull(message, "message is null");
        }
    }

    /**
     * Reads {@code afterBytes} bytes of the request (the head is always read whole, so a
     * smaller count resets right after it; a client waiting on {@code Expect: 100-continue} is
     * told to go on), then resets the client connection (RST). With {@code forwardPart} those
     * bytes went to S3 too, on a connection then closed mid-request, so S3 sees a request cut
     * short; if the count covers the whole request S3 gets all of it and may act on it.
     */
    record ResetRequest(long afterBytes, boolean forwardPart) implements Fault {
        public ResetRequest {
            if (afterBytes < 0) {
                throw new IllegalArgumentException("byte count " + afterBytes + " is negative");
            }
        }
    }

    /**
     * Forwards the request, sends the first {@code afterBytes} bytes of S3's answer (head
     * included) to the client and resets the connection. A count at or past the answer's
     * length sends all of it, then resets.
     */
    record ResetResponse(long afterBytes) implements Fault {
        public ResetResponse {
            if (afterBytes < 0) {
                throw new IllegalArgumentException("byte count " + afterBytes + " is negative");
            }
        }
    }

    /**
     * Forwards the request and sends S3's answer head unchanged (its Content-Length promising
     * the whole body) but only the first {@code afterBytes} payload bytes, then closes the
     * connection in order (FIN). A body no longer than that passes whole.
     */
    record TruncateBody(long afterBytes) implements Fault {
        public TruncateBody {
            if (afterBytes < 0) {
                throw new IllegalArgumentException("byte count " + afterBytes + " is negative");
            }
        }
    }

    /**
     * Forwards the request and flips every bit of the {@code count} payload bytes of S3's
     * answer from {@code offset} on; lengths and framing stay as they are. Bytes past the end
     * of the body are not there to flip.
     */
    record CorruptBody(long offset, int count) implements Fault {
        public CorruptBody {
            if (offset < 0 || count < 1) {
                throw new IllegalArgumentException("cannot corrupt " + count + " bytes at offset " + offset);
            }
        }
    }

    /**
     * Waits {@code delay} after reading the request head, then forwards the request as usual,
     * whether or not the client is still there: a request without a body (GET, DELETE) then
     * still reaches S3 and is carried out, like a request held up in the network; one whose
     * body the client never sent is cut short upstream and fails there.
     */
    record Stall(Duration delay) implements Fault {
        public Stall {
            requireNonNull(delay, "delay is null");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay " + delay + " is negative");
            }
        }
    }

    /**
     * Forwards the request at once, then waits {@code delay} before sending S3's answer: the
     * operation is done in S3 while the client may believe it failed.
     */
    record StallResponse(Duration delay) implements Fault {
        public StallResponse {
            requireNonNull(delay, "delay is null");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay " + delay + " is negative");
            }
        }
    }

    /**
     * Reads the whole request (telling a client waiting on {@code Expect: 100-continue} to go
     * on) into a temporary file, answers nothing, and forwards it to S3 later, dropping S3's
     * answer: a write that lands after the client gave up on it.
     *
     * <p>The client connection is reset after {@code resetClientAfter}, or, when that is null,
     * held until the client closes it (its timeout) or the proxy closes. The request is
     * forwarded {@code forwardAfter} after it was read, or, when that is null, by
     * {@link FaultProxy#releaseLateWrites()}. Signed requests expire: S3 refuses a
     * signature older than 15 minutes.
     */
    record LateWrite(Duration resetClientAfter, Duration forwardAfter) implements Fault {
        public LateWrite {
            if (resetClientAfter != null && resetClientAfter.isNegative()) {
                throw new IllegalArgumentException("delay " + resetClientAfter + " is negative");
            }
            if (forwardAfter != null && forwardAfter.isNegative()) {
                throw new IllegalArgumentException("delay " + forwardAfter + " is negative");
            }
        }
    }

    /** {@code status} with the S3 error {@code code} and a generic message. */
    static Status status(int status, String code) {
        return new Status(status, code, "injected fault " + code);
    }

    /** {@code status} with the S3 error {@code code} and {@code message}. */
    static Status status(int status, String code, String message) {
        return new Status(status, code, message);
    }

    /** 500 InternalError, which S3 clients retry. */
    static Status internalError() {
        return new Status(500, "InternalError", "We encountered an internal error. Please try again.");
    }

    /** 503 SlowDown, S3's throttling answer, which S3 clients retry with back-off. */
    static Status slowDown() {
        return new Status(503, "SlowDown", "Please reduce your request rate.");
    }

    /** 503 ServiceUnavailable. */
    static Status serviceUnavailable() {
        return new Status(503, "ServiceUnavailable", "Service is unable to handle request.");
    }

    /** Resets the connection as soon as the request head is read; nothing reaches S3. */
    static ResetRequest reset() {
        return new ResetRequest(0, false);
    }

    /** Resets the connection after {@code afterBytes} bytes of the request; nothing reaches S3. */
    static ResetRequest resetRequest(long afterBytes) {
        return new ResetRequest(afterBytes, false);
    }

    /** Resets the connection after {@code afterBytes} bytes of the request, which S3 got and then lost the connection. */
    static ResetRequest resetRequestForwarding(long afterBytes) {
        return new ResetRequest(afterBytes, true);
    }

    /** Resets the connection after {@code afterBytes} bytes of the answer (head included). */
    static ResetResponse resetResponse(long afterBytes) {
        return new ResetResponse(afterBytes);
    }

    /** Closes the connection after {@code afterBytes} bytes of the answer's body. */
    static TruncateBody truncateBody(long afterBytes) {
        return new TruncateBody(afterBytes);
    }

    /** Flips the answer's body byte at {@code offset}. */
    static CorruptBody corruptBody(long offset) {
        return new CorruptBody(offset, 1);
    }

    /** Flips {@code count} bytes of the answer's body from {@code offset} on. */
    static CorruptBody corruptBody(long offset, int count) {
        return new CorruptBody(offset, count);
    }

    /** Waits {@code delay} before forwarding the request. */
    static Stall stall(Duration delay) {
        return new Stall(delay);
    }

    /** Waits {@code delay} before sending the answer. */
    static StallResponse stallResponse(Duration delay) {
        return new StallResponse(delay);
    }

    /** A late write held until the client gives up and forwarded by {@link FaultProxy#releaseLateWrites()}. */
    static LateWrite lateWrite() {
        return new LateWrite(null, null);
    }

    /** A late write; see {@link LateWrite} for what null means for either delay. */
    static LateWrite lateWrite(Duration resetClientAfter, Duration forwardAfter) {
        return new LateWrite(resetClientAfter, forwardAfter);
    }
}
