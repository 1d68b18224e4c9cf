package io.walvault.core.repo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The repository's JSON records, read and written over the streaming parser alone: a record is
 * a JSON object of its components in declaration order, null components left out. Component
 * types: {@code String}, {@code int}/{@code long}/{@code boolean} and their boxes, {@link ChunkId}
 * (its hex), {@code List} of any of these, and records.
 *
 * <p>Strict on reading: an unknown field, a field given twice, a missing or null primitive, a
 * value of another JSON type, a number out of its field's range and anything after the object
 * are refused with {@link Mismatch}, as is whatever the record's own constructor refuses (its
 * exception is rethrown as it is). A missing boxed, string, list or record field is null.
 *
 * <p>Why not a data-binding mapper: setting one up costs a short-lived process (every archive-push
 * in passphrase mode reads the keyring) some 300 ms and 400 classes, more than the rest of its
 * JSON work; this needs neither.
 */
final class RecordJson {

    /** The package's parser factory (also {@link Json#readFlatObject}'s): duplicate fields refused. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** JSON that does not fit the record it is read as; its message says where and how. */
    static final class Mismatch extends IOException {
        Mismatch(String message) {
            super(message);
        }
    }

    /** A record type's components and canonical constructor, found once per type. */
    private record Shape(String[] names, Class<?>[] raw, Type[] generic, Method[] accessors, Map<String, Integer> index,
                         Constructor<?> canonical) {

        static Shape of(Class<?> type) {
            RecordComponent[] cs = type.getRecordComponents();
            if (cs == null) {
                throw new IllegalArgumentException(type + " is not a record");
            }
            String[] names = new String[cs.length];
            Class<?>[] raw = new Class<?>[cs.length];
            Type[] generic = new Type[cs.length];
            Method[] accessors = new Method[cs.length];
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < cs.length; i++) {
                names[i] = cs[i].getName();
                raw[i] = cs[i].getType();
                generic[i] = cs[i].getGenericType();
                accessors[i] = cs[i].getAccessor();
                accessors[i].setAccessible(true);
                index.put(names[i], i);
            }
            try {
                Constructor<?> c = type.getDeclaredConstructor(raw);
                c.setAccessible(true);
                return new Shape(names, raw, generic, accessors, index, c);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("record " + type + " has no canonical constructor", e);
            }
        }
    }

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type);
        }
    };

    private RecordJson() {
    }

    /** {@code value} as one line of JSON (UTF-8, no line break). */
    static byte[] write(Record value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeValue(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // into memory: not an I/O failure
        }
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v instanceof ChunkId id) { // a record, written as its hex
            g.writeString(id.hex());
        } else if (v instanceof Record r) {
            Shape s = SHAPES.get(r.getClass());
            g.writeStartObject();
            for (int i = 0; i < s.names.length; i++) {
                Object f = invoke(s.accessors[i], r);
                if (f != null) {
                    g.writeFieldName(s.names[i]);
                    writeValue(g, f);
                }
            }
            g.writeEndObject();
        } else if (v instanceof String str) {
            g.writeString(str);
        } else if (v instanceof Integer n) {
            g.writeNumber(n);
        } else if (v instanceof Long n) {
            g.writeNumber(n);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object e : list) {
                if (e == null) {
                    g.writeNull();
                } else {
                    writeValue(g, e);
                }
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("no JSON form for " + v.getClass());
        }
    }

    private static Object invoke(Method accessor, Object target) {
        try {
            return accessor.invoke(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw rethrown(e);
        }
    }

    /** Reads {@code bytes}, one JSON object and nothing after it, as {@code type}. */
    static <T extends Record> T read(byte[] bytes, Class<T> type) throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Mismatch("it is not a JSON object");
            }
            T v = type.cast(readRecord(p, type, null));
            if (p.nextToken() != null) {
                throw new Mismatch("data follows the JSON object");
            }
            return v;
        }
    }

    /**
     * The name of the first field of the object in {@code bytes} (empty string for an empty
     * object), without reading further: to tell the kinds of line a manifest holds apart.
     */
    static String firstField(byte[] bytes) throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Mismatch("it is not a JSON object");
            }
            return p.nextToken() == JsonToken.FIELD_NAME ? p.currentName() : "";
        }
    }

    /** Reads the record whose START_OBJECT is the current token; {@code field} names where it stands (null at the top). */
    private static Object readRecord(JsonParser p, Class<?> type, String field) throws IOException {
        Shape s = SHAPES.get(type);
        Object[] args = new Object[s.names.length];
        boolean[] seen = new boolean[s.names.length];
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            Integer i = s.index.get(name);
            if (i == null) {
                throw new Mismatch("unknown field '" + path(field, name) + "'");
            }
            p.nextToken();
            args[i] = readValue(p, s.raw[i], s.generic[i], path(field, name));
            seen[i] = true;
        }
        if (t != JsonToken.END_OBJECT) {
            throw new Mismatch("the object " + (field == null ? "" : "'" + field + "' ") + "is not closed");
        }
        for (int i = 0; i < args.length; i++) {
            if (s.raw[i].isPrimitive() && !seen[i]) {
                throw new Mismatch("field '" + path(field, s.names[i]) + "' is missing");
            }
        }
        try {
            return s.canonical.newInstance(args);
        } catch (InstantiationException | IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw rethrown(e);
        }
    }

    private static Object readValue(JsonParser p, Class<?> raw, Type generic, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            if (raw.isPrimitive()) {
                throw new Mismatch("field '" + field + "' is null");
            }
            return null;
        }
        if (raw == String.class) {
            expect(t, JsonToken.VALUE_STRING, field, "a string");
            return p.getText();
        }
        if (raw == int.class || raw == Integer.class) {
            expect(t, JsonToken.VALUE_NUMBER_INT, field, "an integer");
            if (p.getNumberType() != JsonParser.NumberType.INT) {
                throw new Mismatch("field '" + field + "' is out of range: " + p.getText());
            }
            return p.getIntValue();
        }
        if (raw == long.class || raw == Long.class) {
            expect(t, JsonToken.VALUE_NUMBER_INT, field, "an integer");
            JsonParser.NumberType n = p.getNumberType();
            if (n != JsonParser.NumberType.INT && n != JsonParser.NumberType.LONG) {
                throw new Mismatch("field '" + field + "' is out of range: " + p.getText());
            }
            return p.getLongValue();
        }
        if (raw == double.class || raw == Double.class) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new Mismatch("field '" + field + "' is not a number");
            }
            return p.getDoubleValue();
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                throw new Mismatch("field '" + field + "' is not true or false");
            }
            return t == JsonToken.VALUE_TRUE;
        }
        if (raw == ChunkId.class) {
            expect(t, JsonToken.VALUE_STRING, field, "a string");
            return new ChunkId(p.getText());
        }
        if (raw == List.class) {
            expect(t, JsonToken.START_ARRAY, field, "an array");
            Type element = ((ParameterizedType) generic).getActualTypeArguments()[0];
            Class<?> elementRaw = element instanceof ParameterizedType pt ? (Class<?>) pt.getRawType() : (Class<?>) element;
            List<Object> list = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                list.add(readValue(p, elementRaw, element, field + "[" + list.size() + "]"));
            }
            return list;
        }
        if (raw.isRecord()) {
            expect(t, JsonToken.START_OBJECT, field, "an object");
            return readRecord(p, raw, field);
        }
        throw new IllegalArgumentException("no JSON form for " + raw);
    }

    private static void expect(JsonToken t, JsonToken wanted, String field, String what) throws Mismatch {
        if (t != wanted) {
            throw new Mismatch("field '" + field + "' is not " + what);
        }
    }

    private static String path(String outer, String name) {
        return outer == null ? name : outer + "." + name;
    }

    /** A record constructor's or accessor's own exception, as it was thrown. */
    private static RuntimeException rethrown(InvocationTargetException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) {
            throw r;
        }
        if (c instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException(c);
    }
}
