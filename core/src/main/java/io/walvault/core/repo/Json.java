package io.walvault.core.repo;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;

/** The repository's JSON: strict on reading (unknown fields, trailing data, nulls for numbers fail). */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .findAndRegisterModules()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
            .configure(SerializationFeature.INDENT_OUTPUT, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Json() {
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** Parses {@code bytes} of the object {@code key}; any deviation is corruption naming the key. */
    static <T> T read(byte[] bytes, Class<T> type, String key) {
        try {
            T v = MAPPER.readValue(bytes, type);
            if (v == null) {
                throw new CorruptDataException("object '" + key + "' is corrupt: it is JSON null");
            }
            return v;
        } catch (IOException | IllegalArgumentException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof WalvaultException w) {
                    throw w; // a record's own check (an unknown format version): keep its code and hint
                }
            }
            throw new CorruptDataException("object '" + key + "' is corrupt: " + firstLine(e.getMessage()), e);
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
