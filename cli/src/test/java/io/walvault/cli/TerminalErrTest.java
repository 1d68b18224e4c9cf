package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TerminalErrTest {

    @Test
    void aLogLineWhileABarIsShownBlanksTheBarAndDrawsItAgainBelow() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        TerminalErr err = new TerminalErr(screen, StandardCharsets.UTF_8);
        PrintWriter progress = new PrintWriter(err, true); // as the command's own writer wraps it
        progress.print("\r[###...] 3 / 6");
        progress.flush();
        err.println("12:00:00 INFO a log line");
        progress.print("\r[####..] 4 / 6");
        progress.println(); // the bar's line ends: it stays as printed
        progress.flush();
        err.println("12:00:01 INFO after the bar");
        assertEquals("\r[###...] 3 / 6" + "\r" + " ".repeat(14) + "\r" + "12:00:00 INFO a log line" + System.lineSeparator()
                + "\r[###...] 3 / 6" + "\r[####..] 4 / 6" + System.lineSeparator() + "12:00:01 INFO after the bar"
                + System.lineSeparator(), screen.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutABarLinesPassUnchanged() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        TerminalErr err = new TerminalErr(screen, StandardCharsets.UTF_8);
        err.println("one");
        err.print("two\n");
        err.println("three");
        assertEquals("one" + System.lineSeparator() + "two\nthree" + System.lineSeparator(), screen.toString(StandardCharsets.UTF_8));
    }
}
