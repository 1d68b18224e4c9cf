package io.walvault.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real S3 API: one {@link S3Server} per test class (started on first use, stopped
 * after the class), a fresh {@link S3Bucket} for every parameter that asks for one, and a
 * {@link FaultProxy} in front of the server for a test that asks for one (the same proxy for
 * every such parameter of the test, closed after it). A bucket parameter reaches the server
 * directly; {@code bucket.through(proxy)} reaches it through the proxy.
 * Use with {@code @ExtendWith(S3Extension.class)}.
 */
public final class S3Extension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(S3Extension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> t = p.getParameter().getType();
        return t == S3Server.class || t == S3Bucket.class || t == FaultProxy.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        // The store closes the server (AutoCloseable) when the test class is done.
        S3Server server = classContext(e).getStore(NS)
                .getOrComputeIfAbsent("server", k -> S3Server.start(), S3Server.class);
        Class<?> t = p.getParameter().getType();
        if (t == FaultProxy.class) {
            // the test's own store: closed when the test is done
            return e.getStore(NS).getOrComputeIfAbsent("proxy", k -> FaultProxy.inFrontOf(server), FaultProxy.class);
        }
        server.clearFaults();
        return t == S3Server.class ? server : server.createBucket();
    }

    private static ExtensionContext classContext(ExtensionContext e) {
        ExtensionContext c = e;
        while (c.getParent().isPresent() && c.getTestMethod().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

}
