package io.walvault.cli.options;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Says, in an error message that names an option ({@code --checkpoint 'x' is not fast or spread}),
 * where the option's value came from when it was not the command line: the environment variable
 * or the config file's line ({@link ConfigDefaults}). A DBA then knows which file to edit.
 */
public final class SettingSources {

    private final ConfigDefaults defaults;

    /** {@code defaults} may be null: no option's value came from elsewhere. */
    public SettingSources(ConfigDefaults defaults) {
        this.defaults = defaults;
    }

    /** Whether {@code message} names an option whose value came from the environment or the config file. */
    public boolean named(String message) {
        return !sources(message).isEmpty();
    }

    /**
     * {@code message} with where those options' values came from, before its {@code HINT:} if it
     * has one: {@code --checkpoint 'x' is not fast or spread (--checkpoint is 'checkpoint' in
     * config file '/etc/walvault/main.conf' line 4)}.
     */
    public String annotate(String message) {
        List<String> s = sources(message);
        if (s.isEmpty()) {
            return message;
        }
        String said = " (" + String.join("; ", s) + ")";
        int hint = message.indexOf(" HINT:");
        return hint < 0 ? message + said : message.substring(0, hint) + said + message.substring(hint);
    }

    private List<String> sources(String message) {
        List<String> out = new ArrayList<>();
        if (defaults == null || message == null) {
            return out;
        }
        for (String option : defaults.options()) {
            if (Pattern.compile("(?<![\\w-])" + Pattern.quote(option) + "(?![\\w-])").matcher(message).find()) {
                defaults.sourceOf(option).ifPresent(src -> out.add(option + " is " + src));
            }
        }
        return out;
    }
}
