package io.walvault.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** A literal reads back, through a JSON parser and through {@link JsonText#body}, as the string it was made from. */
class JsonTextTest {

    @Test
    void aLiteralReadsBackAsItsString() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String s : new String[] {"", "base/5/16384", "a \"quoted\" \\ path", "tab\tnew\nline\r\u0001", "é ü ∑"}) {
            assertEquals(s, json.readValue(JsonText.literal(s), String.class), s);
            String literal = JsonText.literal(s);
            assertEquals(s, JsonText.body(literal.substring(1, literal.length() - 1)), s);
        }
        assertEquals("null", JsonText.literal(null));
        assertEquals("\"\\u0001\"", JsonText.literal("\u0001"));
        assertEquals("a/b\u00e9", JsonText.body("a\\/b\\u00e9"), "the escapes other writers use");
    }
}
