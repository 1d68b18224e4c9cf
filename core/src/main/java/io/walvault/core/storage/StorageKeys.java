package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** Rules for object keys, the same on every backend. */
public final class StorageKeys {

    /** S3's limit; also keeps local paths well under PATH_MAX. */
    public static final int MAX_LENGTH = 1024;

    private StorageKeys() {
    }

    /**
     * Checks that {@code key} is a relative path of non-empty segments made of letters, digits,
     * {@code . _ - + =}, no segment starting with a dot (those names are the local driver's
     * temporary files), and returns it.
     */
    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_LENGTH) {
            throw invalid(key, "must be 1 to " + MAX_LENGTH + " characters");
        }
        int segStart = 0;
        for (int i = 0; i <= key.length(); i++) {
            char c = i < key.length() ? key.charAt(i) : '/';
            if (c == '/') {
                if (i == segStart) {
                    throw invalid(key, "has an empty path segment");
                }
                if (key.charAt(segStart) == '.') {
                    throw invalid(key, "has a path segment starting with '.'");
                }
                segStart = i + 1;
            } else if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '_' || c == '-' || c == '+' || c == '=')) {
                throw invalid(key, "contains the character '" + c + "'");
            }
        }
        return key;
    }

    /** Checks a list prefix: empty, or a key prefix (it may end with '/'). */
    public static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new WalvaultException(ErrorCode.INTERNAL, "prefix is null");
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        check(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        return prefix;
    }

    /** Checks a prefix whose children are asked for ({@link Storage#listChildren}): a valid one ending with {@code /}. */
    public static String checkParent(String prefix) {
        if (!checkPrefix(prefix).endsWith("/")) {
            throw new IllegalArgumentException("prefix '" + prefix + "' does not end with '/'");
        }
        return prefix;
    }

    /** The name one level below {@code prefix} (ending with {@code /}) that {@code key}, below it, lies in. */
    public static String child(String prefix, String key) {
        if (!key.startsWith(prefix) || key.length() == prefix.length()) {
            throw new IllegalArgumentException("key '" + key + "' is not below '" + prefix + "'");
        }
        int slash = key.indexOf('/', prefix.length());
        return slash < 0 ? key.substring(prefix.length()) : key.substring(prefix.length(), slash);
    }

    private static WalvaultException invalid(String key, String why) {
        return new WalvaultException(ErrorCode.INTERNAL, "object key '" + key + "' is invalid: it " + why);
    }
}
