package io.walvault.core.repo;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The repository's JSON: records through {@link RecordJson}, strict on reading (unknown or
 * duplicate fields, trailing data, nulls or absence for primitives fail), and the descriptor as a
 * flat object.
 */
final class Json {

    private Json() {
    }

    static byte[] write(Record value) {
        return RecordJson.write(value);
    }

    /**
     * Stores {@code value} as a new plain-JSON object at {@code key} (a record nobody changes
     * afterwards); an object already there is {@link ObjectExistsException}.
     */
    static void store(Storage storage, String key, Record value) {
        byte[] json = write(value);
        try (Sink w = storage.newWrite(key)) {
            w.write(json, 0, json.length);
            w.finish();
        } catch (IOException e) {
            throw StorageErrors.failed("write", key, storage.location(), e);
        }
    }

    /** Reads the plain-JSON object at {@code key} as {@code type}, as strictly as {@link #read}. */
    static <T extends Record> T load(Storage storage, String key, Class<T> type) {
        try (InputStream in = storage.newRead(key)) {
            return read(in.readAllBytes(), type, key);
        } catch (IOException e) {
            throw StorageErrors.failed("read", key, storage.location(), e);
        }
    }

    /**
     * Parses {@code bytes} of the object {@code key}; any deviation is corruption naming the key,
     * except a record's own refusal that is a {@link WalvaultException} (an unknown format
     * version), which keeps its code and hint.
     */
    static <T extends Record> T read(byte[] bytes, Class<T> type, String key) {
        try {
            return RecordJson.read(bytes, type);
        } catch (WalvaultException e) {
            throw e;
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new CorruptDataException("object '" + key + "' is corrupt: " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Parses {@code bytes} of the object {@code key} as one JSON object whose fields are strings,
     * integers or null (the descriptor), as strictly as {@link #read}: anything else, a duplicate
     * field or trailing data is corruption naming the key. Callers check which fields they know.
     */
    static Map<String, Object> readFlatObject(byte[] bytes, String key) {
        try (JsonParser p = RecordJson.FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new CorruptDataException("object '" + key + "' is corrupt: it is not a JSON object");
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_STRING) {
                    fields.put(name, p.getText());
                } else if (v == JsonToken.VALUE_NUMBER_INT) {
                    fields.put(name, p.getLongValue());
                } else if (v == JsonToken.VALUE_NULL) {
                    fields.put(name, null);
                } else {
                    throw new CorruptDataException("object '" + key + "' is corrupt: field '" + name
                            + "' is not a string or an integer");
                }
            }
            if (p.nextToken() != null) {
                throw new CorruptDataException("object '" + key + "' is corrupt: data follows the JSON object");
            }
            return fields;
        } catch (IOException e) {
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
