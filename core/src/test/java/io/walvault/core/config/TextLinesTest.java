package io.walvault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Comments and blank lines are left out; what stays keeps its number in the file. */
class TextLinesTest {

    @Test
    void blanksAndCommentsGoAndNumbersStay() {
        List<TextLines.Line> l = TextLines.meaningful(List.of("# head", "", "  repo = x  ", "\t", "   # indented comment",
                "a#b"));
        assertEquals(List.of(new TextLines.Line(3, "repo = x"), new TextLines.Line(6, "a#b")), l);
    }
}
