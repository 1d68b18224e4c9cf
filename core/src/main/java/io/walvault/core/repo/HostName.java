package io.walvault.core.repo;

import java.io.IOException;
import java.net.InetAddress;

/** The name of this machine as the repository's records give it (locks, gap and timing records). */
public final class HostName {

    private HostName() {
    }

    /** This machine's host name, or {@code unknown} when it cannot be resolved. */
    public static String local() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
