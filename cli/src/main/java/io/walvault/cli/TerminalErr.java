package io.walvault.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;

/**
 * Standard error on a terminal, where a progress bar is redrawn in place ({@code "\r[####....]"},
 * no newline) and log lines arrive from other threads: a log line printed while a bar is shown
 * first blanks the bar, then is printed on a line of its own, and the bar is drawn again below
 * it, so that log lines are never drawn over the bar nor the bar over them.
 *
 * <p>The logger prints whole lines with {@link #println(String)}; everything else (the bar, the
 * command's own messages) comes as bytes through {@link #write(byte[], int, int)}, which is
 * where the bar is recognised: the text after the last {@code '\r'} of a write with no newline
 * after it. Thread-safe: every method holds this stream's lock.
 */
final class TerminalErr extends PrintStream {

    /** The bar on screen, without its leading {@code '\r'}; null when none is. */
    private byte[] bar;

    TerminalErr(OutputStream terminal, Charset charset) {
        super(terminal, true, charset);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) {
        track(buf, off, len);
        super.write(buf, off, len);
    }

    @Override
    public synchronized void write(int b) {
        track(new byte[] {(byte) b}, 0, 1);
        super.write(b);
    }

    /** A whole line from the logger: below the bar's place, with the bar drawn again after it. */
    @Override
    public synchronized void println(String line) {
        byte[] shown = bar;
        if (shown == null) {
            super.println(line);
            return;
        }
        byte[] blank = new byte[shown.length + 2];
        Arrays.fill(blank, (byte) ' ');
        blank[0] = '\r';
        blank[blank.length - 1] = '\r';
        super.write(blank, 0, blank.length);
        bar = null;
        super.println(line);
        byte[] redraw = new byte[shown.length + 1];
        redraw[0] = '\r';
        System.arraycopy(shown, 0, redraw, 1, shown.length);
        write(redraw, 0, redraw.length);
        flush();
    }

    private void track(byte[] buf, int off, int len) {
        int lastNewline = -1;
        int lastReturn = -1;
        for (int i = off; i < off + len; i++) {
            if (buf[i] == '\n') {
                lastNewline = i;
            } else if (buf[i] == '\r') {
                lastReturn = i;
            }
        }
        if (lastReturn > lastNewline) {
            bar = Arrays.copyOfRange(buf, lastReturn + 1, off + len); // a bar drawn (again)
        } else if (lastNewline >= 0) {
            bar = null; // the bar's line was ended: it stays on screen as printed
        } else if (bar != null && len > 0) {
            byte[] longer = Arrays.copyOf(bar, bar.length + len); // more of the bar's text
            System.arraycopy(buf, off, longer, bar.length, len);
            bar = longer;
        }
    }
}
