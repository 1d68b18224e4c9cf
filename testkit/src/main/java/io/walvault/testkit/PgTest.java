package io.walvault.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test against real PostgreSQL servers, run once per selected version ({@code -Dpg.versions},
 * by default the oldest and newest supported majors), limited to {@link #min()}..{@link #max()}.
 * The method takes a {@link PgHarness} (and optionally the {@link PgVersion}):
 * <pre>{@code
 * @PgTest
 * void survivesCrash(PgHarness pg) {
 *     PgCluster server = pg.cluster().start();
 *     ...
 * }
 * }</pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@Tag("postgres")
@ExtendWith(PostgresExtension.class)
public @interface PgTest {
    /** The oldest major this test applies to. */
    int min() default 14;

    /** The newest major this test applies to. */
    int max() default 18;

    /**
     * For long scenarios: when 0 or more, the test runs on one selected version only, the one at
     * this index (modulo how many apply), so that a suite of such tests spread over the indexes
     * covers every selected version once in total instead of each test covering each. With
     * {@code -Dpg.everyVersion=true} it runs on every selected version like any other.
     */
    int slot() default -1;
}
