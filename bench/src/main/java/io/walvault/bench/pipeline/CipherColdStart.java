package io.walvault.bench.pipeline;

import io.walvault.core.crypto.GcmWarmUp;
import java.security.SecureRandom;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * How fast the JDK's AES-256-GCM runs from a JVM's start, in the repository's 64 KiB segments
 * (one {@code doFinal} each, as {@code core.crypto} seals and opens them): prints the throughput
 * of every 20 MiB of the first {@code MiB} (default 400), after walvault's warm-up
 * ({@link GcmWarmUp}) when {@code warm} is given. Run it in a fresh JVM, with and without:
 *
 * <pre>
 * java -XX:+UseSerialGC -cp bench/target/benchmarks.jar io.walvault.bench.pipeline.CipherColdStart decrypt
 * java -XX:+UseSerialGC -cp bench/target/benchmarks.jar io.walvault.bench.pipeline.CipherColdStart decrypt 400 warm
 * </pre>
 */
public final class CipherColdStart {

    private static final int SEGMENT = 64 * 1024;
    private static final int REPORT_MIB = 20;

    private CipherColdStart() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(args[0].equals("encrypt") || args[0].equals("decrypt"))) {
            System.err.println("usage: CipherColdStart encrypt|decrypt [MiB [warm]]");
            System.exit(2);
        }
        boolean encrypt = args[0].equals("encrypt");
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 400;
        if (args.length > 2 && args[2].equals("warm")) {
            long w = System.nanoTime();
            GcmWarmUp.run(encrypt ? GcmWarmUp.Direction.ENCRYPT : GcmWarmUp.Direction.DECRYPT);
            System.out.printf(Locale.ROOT, "warm-up: %.0f ms%n", (System.nanoTime() - w) / 1e6);
        }
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        byte[] plain = new byte[SEGMENT];
        random.nextBytes(plain);
        byte[] nonce = new byte[12];
        Cipher sealer = Cipher.getInstance("AES/GCM/NoPadding");
        sealer.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
        byte[] sealed = sealer.doFinal(plain);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] out = new byte[SEGMENT + 16];
        long segments = mib * 1024 * 1024 / SEGMENT;
        long perReport = (long) REPORT_MIB * 1024 * 1024 / SEGMENT;
        StringBuilder line = new StringBuilder();
        long t = System.nanoTime();
        long start = t;
        for (long i = 1; i <= segments; i++) {
            if (encrypt) {
                nonce[0] = (byte) i; // a fresh nonce per segment, as the format has
                nonce[1] = (byte) (i >> 8);
                nonce[2] = (byte) (i >> 16);
                c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
                c.doFinal(plain, 0, SEGMENT, out, 0);
            } else {
                c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, new byte[12]));
                c.doFinal(sealed, 0, sealed.length, out, 0);
            }
            if (i % perReport == 0) {
                long now = System.nanoTime();
                line.append(String.format(Locale.ROOT, "%d:%.0f ", i * SEGMENT >> 20, REPORT_MIB * 1e9 / (now - t)));
                t = now;
            }
        }
        System.out.println(args[0] + " MiB:MB/s " + line.toString().trim());
        System.out.printf(Locale.ROOT, "%d MiB in %.2f s%n", mib, (System.nanoTime() - start) / 1e9);
    }
}
