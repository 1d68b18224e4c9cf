package io.walvault.testkit;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Runs a {@link PgTest} once per selected PostgreSQL version, hands it a {@link PgHarness},
 * prints the servers' logs when it fails and removes every server afterwards.
 */
public final class PostgresExtension implements TestTemplateInvocationContextProvider {

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> AnnotationSupport.isAnnotated(m, PgTest.class)).orElse(false);
    }

    @Override
    public boolean mayReturnZeroTestTemplateInvocationContexts(ExtensionContext context) {
        return true;
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        PgTest spec = AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), PgTest.class).orElseThrow();
        List<PgVersion> applicable = PgVersion.selected().stream()
                .filter(v -> v.major() >= spec.min() && v.major() <= spec.max())
                .toList();
        if (spec.slot() >= 0 && !applicable.isEmpty() && !Boolean.getBoolean("pg.everyVersion")) {
            applicable = List.of(applicable.get(spec.slot() % applicable.size()));
        }
        return applicable.stream().map(VersionInvocation::new);
    }

    private record VersionInvocation(PgVersion version) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return "PostgreSQL " + version.major();
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new HarnessBinding(version));
        }
    }

    /** Binds one harness to one invocation. */
    private static final class HarnessBinding
            implements ParameterResolver, AfterEachCallback, TestExecutionExceptionHandler {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(HarnessBinding.class);
        private final PgVersion version;

        HarnessBinding(PgVersion version) {
            this.version = version;
        }

        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
            Class<?> t = p.getParameter().getType();
            return t == PgHarness.class || t == PgVersion.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext e) {
            if (p.getParameter().getType() == PgVersion.class) {
                return version;
            }
            return harness(e);
        }

        private PgHarness harness(ExtensionContext e) {
            return e.getStore(NS).getOrComputeIfAbsent("harness", k -> new PgHarness(version), PgHarness.class);
        }

        @Override
        public void handleTestExecutionException(ExtensionContext e, Throwable t) throws Throwable {
            PgHarness h = e.getStore(NS).get("harness", PgHarness.class);
            if (h != null && !h.clusters().isEmpty()) {
                System.err.println("==== " + e.getDisplayName() + " failed: " + t);
                System.err.println(h.logs(150));
            }
            throw t;
        }

        @Override
        public void afterEach(ExtensionContext e) {
            PgHarness h = e.getStore(NS).remove("harness", PgHarness.class);
            if (h != null) {
                h.close();
            }
        }
    }
}
