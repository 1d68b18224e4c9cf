package io.walvault.core;

/** {@code walvault_build_info}: the version serving a set of metrics, as Prometheus names a build. */
public final class BuildInfo {

    private BuildInfo() {
    }

    /** The gauge, always 1, with the version as its label; text format 0.0.4. */
    public static String prometheus() {
        return "# HELP walvault_build_info The walvault version that serves these metrics\n"
                + "# TYPE walvault_build_info gauge\n"
                + "walvault_build_info{version=\"" + Version.get().replace("\\", "\\\\").replace("\"", "\\\"") + "\"} 1\n";
    }
}
