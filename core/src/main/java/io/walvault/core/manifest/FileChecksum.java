package io.walvault.core.manifest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Computes a file checksum the way PostgreSQL writes it in backup_manifest: CRC-32C as the four
 * bytes of the value in the server's byte order (little-endian on the platforms PostgreSQL runs
 * walvault's tests on: x86-64 and aarch64), SHA-2 as the digest, lowercase hex. Not thread-safe.
 */
public final class FileChecksum {

    private final String algorithm;
    private final CRC32C crc;
    private final MessageDigest digest;

    private FileChecksum(String algorithm) {
        this.algorithm = algorithm;
        switch (algorithm) {
            case "NONE" -> {
                crc = null;
                digest = null;
            }
            case "CRC32C" -> {
                crc = new CRC32C();
                digest = null;
            }
            case "SHA224", "SHA256", "SHA384", "SHA512" -> {
                crc = null;
                try {
                    digest = MessageDigest.getInstance("SHA-" + algorithm.substring(3));
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(algorithm + " is missing from this JDK", e);
                }
            }
            default -> throw new IllegalArgumentException("unknown manifest checksum algorithm '" + algorithm + "'");
        }
    }

    /** A checksum for {@code algorithm} as the manifest names it ({@code CRC32C}, {@code SHA256}, {@code NONE}). */
    public static FileChecksum of(String algorithm) {
        return new FileChecksum(algorithm.toUpperCase(Locale.ROOT));
    }

    public String algorithm() {
        return algorithm;
    }

    public void update(ByteBuffer data) {
        if (crc != null) {
            crc.update(data);
        } else if (digest != null) {
            digest.update(data);
        }
    }

    /** A CRC-32C value ({@link CRC32C#getValue()}) as backup_manifest writes it. */
    public static String crc32cHex(int value) {
        return HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }

    /** The lowercase hex result; empty for NONE. */
    public String hex() {
        if (crc != null) {
            return crc32cHex((int) crc.getValue());
        }
        if (digest != null) {
            return HexFormat.of().formatHex(digest.digest());
        }
        return "";
    }
}
