package io.walvault.core.error;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The one base of walvault's errors: a message a DBA can act on, an {@link ErrorCode} that
 * becomes the exit code, and the cause chain kept.
 *
 * <p>Messages are lowercase, without a final period, quote identifiers, and may end with a
 * {@code HINT:} sentence saying what to do. Subclasses exist only where a caller catches them.
 */
public class WalvaultException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public WalvaultException(ErrorCode code, String message) {
        super(requireNonNull(message, "message is null"));
        this.code = requireNonNull(code, "code is null");
    }

    public WalvaultException(ErrorCode code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    public ErrorCode code() {
        return code;
    }

    /** The message without its {@code HINT:} sentence. */
    public String what() {
        String m = getMessage();
        int h = m.indexOf(HINT);
        return h < 0 ? m : m.substring(0, h);
    }

    /** The message's {@code HINT:} sentence, without the word HINT, if it has one. */
    public Optional<String> hint() {
        String m = getMessage();
        int h = m.indexOf(HINT);
        return h < 0 ? Optional.empty() : Optional.of(m.substring(h + HINT.length()));
    }

    private static final String HINT = " HINT: ";
}
