package io.walvault.core.error;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The one base of walvault's errors: a message a DBA can act on, an optional hint saying what
 * to do, an {@link ErrorCode} that becomes the exit code, and the cause chain kept.
 *
 * <p>Messages are lowercase, without a final period, and quote identifiers. The hint is kept
 * apart ({@link #what()}, {@link #hint()}) so that a caller adding context to an error (a
 * restore that failed because a bundle is corrupt) keeps the hint last instead of taking the
 * text apart; {@link #getMessage()} is the two joined as {@code what HINT: hint}. A message
 * given with an inline {@code " HINT: "} sentence is split there, once, in the constructor.
 * Subclasses exist only where a caller catches them.
 */
public class WalvaultException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private static final String HINT = " HINT: ";

    private final ErrorCode code;
    private final String what;
    private final String hint;

    public WalvaultException(ErrorCode code, String message) {
        this(code, message, (Throwable) null);
    }

    public WalvaultException(ErrorCode code, String message, Throwable cause) {
        this(code, whatOf(requireNonNull(message, "message is null")), hintOf(message), cause);
    }

    /**
     * @param what  what happened
     * @param hint  what to do about it, or null
     * @param cause the cause, or null
     */
    public WalvaultException(ErrorCode code, String what, String hint, Throwable cause) {
        super(join(requireNonNull(what, "what is null"), hint), cause);
        this.code = requireNonNull(code, "code is null");
        this.what = what;
        this.hint = hint == null || hint.isBlank() ? null : hint;
    }

    public ErrorCode code() {
        return code;
    }

    /** The message without its hint. */
    public String what() {
        return what;
    }

    /** What to do about it, if the error says. */
    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }

    /**
     * This error with {@code prefix} before and {@code suffix} after what happened (context a
     * caller adds), same code, same hint (last), same cause and stack.
     */
    public WalvaultException withContext(String prefix, String suffix) {
        WalvaultException e = new WalvaultException(code, prefix + what + suffix, hint, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    private static String join(String what, String hint) {
        return hint == null || hint.isBlank() ? what : what + HINT + hint;
    }

    private static String whatOf(String message) {
        int h = message.indexOf(HINT);
        return h < 0 ? message : message.substring(0, h);
    }

    private static String hintOf(String message) {
        int h = message.indexOf(HINT);
        return h < 0 ? null : message.substring(h + HINT.length());
    }
}
