package io.walvault.core.error;

/**
 * The passphrase or private key given does not open the repository. Raised when the repository
 * is opened, before any other work, so commands can refuse at once with a clear message.
 */
public final class WrongKeyException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public WrongKeyException(String message) {
        super(ErrorCode.WRONG_KEY, message);
    }

    public WrongKeyException(String message, Throwable cause) {
        super(ErrorCode.WRONG_KEY, message, cause);
    }
}
