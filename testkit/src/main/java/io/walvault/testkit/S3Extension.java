package io.walvault.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real S3 API: one {@link S3Server} per test class (started on first use, stopped
 * after the class), and a fresh {@link S3Bucket} for every parameter that asks for one.
 * Use with {@code @ExtendWith(S3Extension.class)}.
 */
public final class S3Extension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(S3Extension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> t = p.getParameter().getType();
        return t == S3Server.class || t == S3Bucket.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        // The store closes the server (AutoCloseable) when the test class is done.
        S3Server server = classContext(e).getStore(NS)
                .getOrComputeIfAbsent("server", k -> S3Server.start(), S3Server.class);
        server.clearFaults();
        return p.getParameter().getType() == S3Server.class ? server : server.createBucket();
    }

    private static ExtensionContext classContext(ExtensionContext e) {
        ExtensionContext c = e;
        while (c.getParent().isPresent() && c.getTestMethod().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

}
