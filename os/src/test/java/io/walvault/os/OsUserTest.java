package io.walvault.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class OsUserTest {

    @Test
    void usersAreLookedUpInThePasswordFile() {
        assertEquals(new OsUser("root", 0, 0), OsUser.find("root").orElseThrow());
        assertTrue(OsUser.find("no-such-user-of-walvault").isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OsUser.lookup("no-such-user-of-walvault"));
        assertEquals("operating-system user 'no-such-user-of-walvault' does not exist", e.getMessage());
    }

    @Test
    void commandsRunThroughSetprivWithTheUsersIdsAndGroups() {
        assertEquals(List.of("setpriv", "--reuid=70", "--regid=71", "--init-groups", "--", "postgres", "-D", "data"),
                new OsUser("pg", 70, 71).wrap(List.of("postgres", "-D", "data")));
    }

    @Test
    void rootIsTheProcessesUidZero() throws IOException {
        assertEquals(((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0, OsUser.processIsRoot());
    }
}
